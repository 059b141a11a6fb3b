"""Schemathesis against the server's own OpenAPI schema: no 5xx, every error in OpenAI's shape.

Shared by the CI test (``tests/api/test_fuzz_api.py``, a few cases per operation) and the long run
(``scripts/fuzz_api.py``, ≥ 1,000 cases). Every operation in ``/openapi.json`` is fuzzed with schema-valid
(positive) and schema-violating (negative) inputs; each response is checked and failures are collected,
not raised, so one run reports all of them.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

ERROR_KEYS = {"message", "type", "param", "code"}


@dataclass
class Failure:
    """One response that broke the contract, with a curl line to reproduce it."""

    operation: str
    status: int | None
    problem: str
    curl: str


@dataclass
class FuzzReport:
    """What a run did: cases per operation, statuses seen, failures."""

    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        """Cases run over all operations."""
        return sum(self.cases.values())

    def summary(self) -> str:
        """A few lines for a human."""
        lines = [f"{self.total} cases in {self.seconds:.1f} s, {len(self.failures)} failures"]
        lines += [f"  {op}: {n}" for op, n in sorted(self.cases.items())]
        lines.append("  statuses: " + ", ".join(f"{s}×{n}" for s, n in sorted(self.statuses.items())))
        lines += [f"  skipped {s}" for s in dict.fromkeys(self.skipped)]
        lines += [f"  FAIL {f.operation} {f.status}: {f.problem}\n    {f.curl}" for f in self.failures[:20]]
        return "\n".join(lines)


def header(response: Any, name: str) -> str:
    """One header of a requests, httpx or schemathesis response (whose headers map to lists)."""
    for key, value in response.headers.items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return ""


def error_shape_problem(response: Any) -> str | None:
    """Why an error response is not OpenAI's ``{"error": {message, type, param, code}}`` (None if it is)."""
    if not header(response, "content-type").startswith("application/json"):
        return f"error content-type {header(response, 'content-type')!r}"
    try:
        body = response.json()
    except ValueError:
        return f"error body is not JSON: {response.text[:200]!r}"
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or set(error) != ERROR_KEYS:
        return f"error body is not OpenAI-shaped: {json.dumps(body)[:300]}"
    if not isinstance(error["message"], str) or not error["message"]:
        return "error message is empty"
    if not isinstance(error["type"], str):
        return "error type is not a string"
    if not all(error[k] is None or isinstance(error[k], str) for k in ("param", "code")):
        return "error param/code is neither a string nor null"
    if response.status_code == 429 and not header(response, "retry-after"):
        return "429 without Retry-After"
    return None


def check_response(response: Any) -> str | None:
    """The contract for every response: below 500, and errors in OpenAI's shape."""
    if response.status_code >= 500:
        return f"server error: {response.text[:300]!r}"
    if response.status_code >= 400:
        return error_shape_problem(response)
    return None


KNOWN_MODELS = {"transcriptions": "whisper-tiny.en", "translations": "whisper-1", "speech": "tts-1"}


def use_known_names(case: schemathesis.Case, with_audio: bool, audio: bytes | None) -> None:
    """Swap generated names for real ones (and a random file for real speech) so valid paths run too.

    Random strings are almost never a model or voice name: without this nearly every schema-valid case
    would stop at 404 model_not_found and the engines would never see fuzzed options.
    """
    endpoint = case.operation.path.rsplit("/", 1)[-1]
    if isinstance(case.path_parameters, dict) and "model" in case.path_parameters:
        case.path_parameters["model"] = "whisper-1"
    body = case.body
    if not isinstance(body, dict) or endpoint not in KNOWN_MODELS:
        return
    if "model" in body:
        body["model"] = KNOWN_MODELS[endpoint]
    if "voice" in body:
        body["voice"] = "alloy"
    if with_audio and "file" in body:
        body["file"] = audio
    if endpoint == "transcriptions":
        body.pop("language", None)  # tiny.en takes English only: keep the case about the other fields


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    report: FuzzReport,
    examples: int,
    seed: int,
    timeout: float,
    headers: dict[str, str],
    audio: bytes | None,
) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    session = requests.Session()

    @given(case=operation.as_strategy(generation_mode=mode), known=st.integers(0, 3))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=True,
    )
    def run(case: schemathesis.Case, known: int) -> None:
        report.cases[label] += 1
        if known and mode is GenerationMode.POSITIVE:
            use_known_names(case, with_audio=known == 3 and audio is not None, audio=audio)
        try:
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            report.failures.append(Failure(label, None, f"no response: {exc}", case.as_curl_command()))
            return
        report.statuses[response.status_code] += 1
        problem = check_response(response)
        if problem is not None:
            report.failures.append(Failure(label, response.status_code, problem, case.as_curl_command()))

    try:
        fixed_seed(seed)(run)()
    except Unsatisfiable:
        report.skipped.append(f"{label} ({mode.value}): no case can be generated")
    finally:
        session.close()


def fuzz(
    base_url: str,
    examples_per_operation: int,
    seed: int = 0,
    timeout: float = 120.0,
    api_key: str | None = None,
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    report: FuzzReport | None = None,
    audio: bytes | None = None,
) -> FuzzReport:
    """Fuzz every operation of ``base_url``'s /openapi.json; returns the report (never raises on failures).

    Pass ``report`` to add to an earlier run's figures (another round with another seed). Schema-valid
    cases use real model and voice names three times in four, and ``audio`` (real speech) as the file
    one time in four, so the engines run too.
    """
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", headers=headers, timeout=30)
    report = report if report is not None else FuzzReport()
    started = time.perf_counter() - report.seconds
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in modes:
            _fuzz_operation(operation, mode, base_url, report, examples_per_operation, seed, timeout, headers,
                            audio)
    report.seconds = time.perf_counter() - started
    return report


def operations(base_url: str) -> list[str]:
    """``METHOD /path`` of every operation in the server's schema."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=30)
    return [f"{r.ok().method.upper()} {r.ok().path}" for r in schema.get_all_operations()]
