"""Word error rate used by `earshot doctor`, the bench and the tests: Whisper's English normaliser + jiwer."""

from server.commands.wer import wer, words


def test_wer_counts_edits_over_reference_words() -> None:
    assert wer("the cat sat", "the cat sat") == 0.0
    assert wer("the cat sat", "The cat, sat!") == 0.0  # case and punctuation do not count
    assert wer("the cat sat", "the bat sat") == 1 / 3  # substitution
    assert wer("the cat sat", "the sat") == 1 / 3  # deletion
    assert wer("the cat sat", "the cat sat down") == 1 / 3  # insertion
    assert wer("a b", "") == 1.0
    assert wer("", "") == 0.0
    assert wer("", "words") == 1.0


def test_formatting_is_not_an_error() -> None:
    assert wer("fifteen apples", "15 apples") == 0.0  # numbers
    assert wer("ten of clubs", "10 of Clubs.") == 0.0
    assert wer("it is mister smith", "It's Mr. Smith.") == 0.0  # contractions, titles
    assert wer("the colour grey", "the color gray") == 0.0  # British / American spelling
    assert wer("well it is done", "Well, um, it's done.") == 0.0  # hesitations
    assert words("It's Earshot's test.") == ["it", "is", "earshot", "is", "test"]
