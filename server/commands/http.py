"""A tiny standard-library HTTP client for the CLI (talking to a running Earshot)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any


class HTTPFailure(Exception):
    """A request failed: no connection, or a non-2xx status (with OpenAI's error message if any)."""


@dataclass(frozen=True)
class Client:
    """Base URL (``http://host:port``) and an optional API key."""

    base_url: str
    api_key: str | None = None
    timeout: float = 300.0

    def _request(self, method: str, path: str, body: bytes | None, content_type: str | None) -> bytes:
        request = urllib.request.Request(self.base_url.rstrip("/") + path, data=body, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        if self.api_key:
            request.add_header("Authorization", f"Bearer {self.api_key}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - our URL
                return response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            try:
                detail = json.loads(detail)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                pass
            raise HTTPFailure(f"{method} {path}: HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise HTTPFailure(f"{method} {path}: cannot reach {self.base_url} ({exc})") from exc

    def get_json(self, path: str) -> Any:
        """GET and decode JSON."""
        return json.loads(self._request("GET", path, None, None))

    def post_json(self, path: str, payload: dict[str, Any]) -> bytes:
        """POST a JSON body; returns the raw response body."""
        return self._request("POST", path, json.dumps(payload).encode(), "application/json")

    def post_form(self, path: str, fields: dict[str, str], file_name: str, file_bytes: bytes) -> bytes:
        """POST multipart/form-data with one file (``file``) and text fields."""
        boundary = uuid.uuid4().hex
        parts = []
        for key, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        body = b"".join(parts) + file_bytes + f"\r\n--{boundary}--\r\n".encode()
        return self._request("POST", path, body, f"multipart/form-data; boundary={boundary}")


def default_api_key() -> str | None:
    """The first key of EARSHOT_API_KEYS, so the CLI can talk to a server started with the same env."""
    keys = [k.strip() for k in os.environ.get("EARSHOT_API_KEYS", "").split(",") if k.strip()]
    return keys[0] if keys else None
