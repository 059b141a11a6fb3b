"""Word error rate used by `earshot doctor`."""

from server.commands.wer import wer, words


def test_wer_counts_edits_over_reference_words() -> None:
    assert wer("the cat sat", "the cat sat") == 0.0
    assert wer("the cat sat", "The cat, sat!") == 0.0  # case and punctuation do not count
    assert wer("the cat sat", "the bat sat") == 1 / 3  # substitution
    assert wer("the cat sat", "the sat") == 1 / 3  # deletion
    assert wer("the cat sat", "the cat sat down") == 1 / 3  # insertion
    assert wer("a b", "") == 1.0
    assert wer("", "") == 0.0
    assert words("It's Earshot's test.") == ["it's", "earshot's", "test"]
