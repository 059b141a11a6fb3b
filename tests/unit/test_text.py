"""Splitting speech input into pieces for sentence-by-sentence synthesis."""

from __future__ import annotations

import pytest

from engines.text import split_text


def test_short_text_is_one_piece_and_whitespace_is_nothing() -> None:
    assert split_text("  Hello there. How are you?  ") == ["Hello there. How are you?"]
    assert split_text(" \n\t ") == []


def test_lines_become_pieces() -> None:
    assert split_text("Chapter One\n\nIt was a dark night.\r\nThe end") == [
        "Chapter One",
        "It was a dark night.",
        "The end",
    ]


def test_long_paragraph_is_cut_at_sentence_ends_then_clauses_then_words() -> None:
    sentences = [f"Sentence {i} says something moderately long about the weather today." for i in range(20)]
    paragraph = " ".join(sentences)
    pieces = split_text(paragraph, max_chars=150)
    assert all(len(p) <= 150 for p in pieces)
    assert all(p.endswith(".") for p in pieces)  # cut only at sentence ends
    assert " ".join(pieces).split() == paragraph.split()

    clauses = ", ".join(f"clause number {i} goes here" for i in range(30)) + "."
    pieces = split_text(clauses, max_chars=100)
    assert all(len(p) <= 100 for p in pieces)
    assert all(p.endswith((",", ".")) for p in pieces)
    assert " ".join(pieces).split() == clauses.split()

    words = " ".join(["word"] * 200)
    pieces = split_text(words, max_chars=50)
    assert all(len(p) <= 50 for p in pieces)
    assert " ".join(pieces).split() == words.split()


def test_a_run_without_spaces_is_cut_at_the_limit() -> None:
    pieces = split_text("x" * 4096, max_chars=300)
    assert [len(p) for p in pieces] == [300] * 13 + [196]


def test_max_chars_must_be_positive() -> None:
    with pytest.raises(ValueError):
        split_text("hi", max_chars=0)


def test_control_characters_become_spaces() -> None:
    assert split_text("Hello\x00 world\x07\x1b[31m red\x7f\x85 done.") == ["Hello  world  [31m red   done."]
    assert split_text("\x00\x01\x1f") == []


def test_emoji_weigh_more_than_letters() -> None:
    # Each emoji is read out by name: 4096 of them must not become one 300-emoji piece of ~30 s of work.
    pieces = split_text("\U0001f600" * 4096)
    assert "".join(pieces) == "\U0001f600" * 4096
    assert max(len(p) for p in pieces) == 300 // 10
