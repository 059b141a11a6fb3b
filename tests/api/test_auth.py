"""Optional API keys: 401 invalid_api_key in OpenAI's shape; /health stays open."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest


def test_keys_required_when_configured(server_factory, tmp_path: Path) -> None:
    keys_file = tmp_path / "keys"
    keys_file.write_text("# ops team\nsk-from-file\n")
    server = server_factory(env={"EARSHOT_API_KEYS": "sk-one,sk-two", "EARSHOT_API_KEYS_FILE": str(keys_file)})
    url = f"{server.base_url}/v1"

    for key in ["sk-one", "sk-two", "sk-from-file"]:
        assert any(m.id == "whisper-1" for m in openai.OpenAI(base_url=url, api_key=key, max_retries=0).models.list())

    with pytest.raises(openai.AuthenticationError) as info:
        openai.OpenAI(base_url=url, api_key="sk-wrong", max_retries=0).models.list()
    assert info.value.code == "invalid_api_key"
    assert info.value.status_code == 401

    missing = httpx.get(f"{url}/models")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "invalid_api_key"

    assert httpx.get(f"{server.base_url}/health").status_code == 200
    assert "sk-one" not in server.log() and "sk-from-file" not in server.log()


def test_no_keys_means_open(client: openai.OpenAI) -> None:
    assert client.models.list().data
