"""The DER scorer used to grade diarization."""

from __future__ import annotations

import pytest

from tests.support.der import der

REF = [(0.0, 4.0, "x"), (5.0, 9.0, "y")]


def test_perfect_and_relabelled_hypotheses_score_zero() -> None:
    assert der(REF, REF).der == 0.0
    result = der(REF, [(0.0, 4.0, "B"), (5.0, 9.0, "A")])
    assert result.der == 0.0
    assert result.mapping == {"B": "x", "A": "y"}


def test_one_speaker_for_everything_is_half_confusion() -> None:
    result = der(REF, [(0.0, 4.0, "A"), (5.0, 9.0, "A")], collar=0.0)
    assert result.der == pytest.approx(0.5)
    assert result.confusion == pytest.approx(4.0)


def test_missed_speech_and_false_alarm() -> None:
    result = der(REF, [(0.0, 4.0, "A"), (4.0, 5.0, "A")], collar=0.0)
    assert result.missed == pytest.approx(4.0)
    assert result.false_alarm == pytest.approx(1.0)
    assert result.der == pytest.approx(5.0 / 8.0)


def test_collar_forgives_boundary_errors() -> None:
    late = [(0.2, 4.0, "A"), (5.2, 9.2, "B")]
    assert der(REF, late, collar=0.0).der > 0.05
    assert der(REF, late, collar=0.25).der == 0.0
