"""A bad setting value is one line: which setting, from which source, the value, and what is allowed."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import earshot


def error_lines(*args: str, env: dict[str, str] | None = None) -> list[str]:
    result = earshot("serve", *args, env=env, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "pydantic" not in result.stderr and "Traceback" not in result.stderr
    return result.stderr.splitlines()


def test_bad_flags_name_the_flag_and_the_allowed_range() -> None:
    assert error_lines("--max-upload-bytes", "0", "--port", "70000") == [
        "earshot: setting port (flag --port) is 70000; allowed: an integer from 0 to 65535",
        "earshot: setting max_upload_bytes (flag --max-upload-bytes) is 0; allowed: an integer, at least 1",
    ]


def test_bad_environment_names_the_variable_and_the_choices() -> None:
    env = {"EARSHOT_LOG_LEVEL": "verbose", "EARSHOT_BEAM_SIZE": "99", "EARSHOT_VAD_FILTER": "maybe"}
    assert error_lines(env=env) == [
        "earshot: setting log_level (environment EARSHOT_LOG_LEVEL) is 'verbose'; "
        "allowed: one of debug, info, warning, error",
        "earshot: setting vad_filter (environment EARSHOT_VAD_FILTER) is 'maybe'; allowed: true or false",
        "earshot: setting beam_size (environment EARSHOT_BEAM_SIZE) is '99'; "
        "allowed: an integer from 1 to 16",
    ]


def test_bad_config_file_value_names_the_file_and_the_source_that_won(tmp_path: Path) -> None:
    config = tmp_path / "earshot.toml"
    config.write_text('max_audio_seconds = 0\nbeam_size = 99\nport = "eighty"\n')
    assert error_lines("--config", str(config), "--port", "8080", env={"EARSHOT_BEAM_SIZE": "20"}) == [
        f"earshot: setting max_audio_seconds (config file {config}) is 0; allowed: a number, greater than 0",
        "earshot: setting beam_size (environment EARSHOT_BEAM_SIZE) is '20'; "
        "allowed: an integer from 1 to 16",
    ]


def test_a_bad_key_value_is_not_printed(tmp_path: Path) -> None:
    config = tmp_path / "earshot.toml"
    config.write_text("api_keys = [1234]\n")
    (line,) = error_lines("--config", str(config))
    assert "api_keys" in line and "(hidden)" in line and "1234" not in line


def test_every_setting_says_what_it_allows_in_words() -> None:
    from server.settings import Settings
    from server.settings_check import allowed_values

    for name, field in Settings.model_fields.items():
        text = allowed_values(field)
        assert text and "<" not in text and "typing" not in text and "|" not in text, (name, text)
