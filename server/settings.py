"""The one Settings object: every option by environment (EARSHOT_...), CLI flag or constructor."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from engines.device import default_cpu_threads, resolve_device
from engines.types import RuntimeOptions
from server.configfile import ConfigFileSource, config_path


def default_models_dir() -> Path:
    """Writable directory for materialised and imported models ($XDG_DATA_HOME/earshot/models)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "earshot" / "models"


def _split(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Earshot server settings. Environment variables use the ``EARSHOT_`` prefix."""

    model_config = SettingsConfigDict(env_prefix="EARSHOT_", extra="ignore", frozen=True)

    config: Path | None = Field(None, description="TOML config file (keys = setting names); flags and env win.")
    host: str = Field("127.0.0.1", description="Address to bind (127.0.0.1 by default: local only).")
    port: int = Field(8000, ge=0, le=65535, description="TCP port.")
    workers: int = Field(1, ge=1, description="uvicorn worker processes.")
    wyoming_port: int | None = Field(
        None, ge=1, le=65535, description="Also serve Wyoming (Home Assistant) on this TCP port; unset = off."
    )
    wyoming_zeroconf: bool = Field(
        False, description="Announce the Wyoming port over mDNS (_wyoming._tcp); needs the zeroconf package."
    )
    shutdown_timeout_seconds: float = Field(30.0, ge=0, description="On SIGTERM, wait this long for requests.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Log level.")
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines as text, or JSON objects one per line (with an access line per request)."
    )

    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto picks CUDA when a GPU is visible.")
    compute_type: str = Field("auto", description="CTranslate2 compute type; auto = float16 on CUDA, int8 on CPU.")
    cpu_threads: int | None = Field(None, ge=1, description="Threads per model; default cores // workers.")

    models_dir: Path = Field(default_factory=default_models_dir, description="Writable models directory.")
    extra_manifests: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="Extra manifest files registering your own models (comma-separated)."
    )
    preload: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Models to load at start (ids or aliases, or 'default' / 'all')."
    )
    idle_ttl_seconds: float | None = Field(900.0, description="Unload a model idle this long; unset = never.")

    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Accepted API keys (comma-separated); none = no auth."
    )
    api_keys_file: Path | None = Field(None, description="File with one API key per line.")

    max_upload_bytes: int = Field(25 * 1024 * 1024, ge=1, description="Largest accepted upload (bytes).")
    max_audio_seconds: float = Field(7200.0, gt=0, description="Longest accepted decoded audio (seconds).")
    max_concurrency: int = Field(1, ge=1, description="Requests running at once per model (per worker).")
    max_queue: int = Field(32, ge=0, description="Requests waiting per model before 429 rate_limit_exceeded.")
    request_timeout_seconds: float | None = Field(
        1800.0,
        ge=0,
        description="Stop a request after this long, queue included (504; 408 mid-upload); 0 = never.",
    )

    realtime_max_sessions: int = Field(
        16, ge=0, description="Realtime WebSocket sessions open at once (per worker); more are refused."
    )
    realtime_max_session_seconds: float = Field(
        3600.0, gt=0, description="A realtime session is closed after this long (OpenAI: 60 min)."
    )
    realtime_max_buffer_seconds: float = Field(
        300.0, gt=0, description="Uncommitted audio a realtime session may hold (a longer VAD turn is cut)."
    )
    realtime_idle_timeout_seconds: float = Field(
        300.0, gt=0, description="Close a realtime session that sent nothing for this long."
    )

    tts_noise_scale: float | None = Field(
        None, ge=0, description="Piper generator noise; unset = the voice's own. 0 and 0: identical output."
    )
    tts_noise_w_scale: float | None = Field(
        None, ge=0, description="Piper phoneme-width noise; unset = the voice's own."
    )

    vad_filter: bool = Field(True, description="Silero VAD before whisper: silence and noise give no words.")
    vad_threshold: float = Field(0.5, ge=0, le=1, description="Silero speech probability threshold.")
    vad_min_silence_ms: int = Field(1000, ge=0, description="Silence that splits speech (ms).")
    vad_speech_pad_ms: int = Field(400, ge=0, description="Audio kept around detected speech (ms).")
    no_speech_threshold: float | None = Field(0.6, ge=0, le=1, description="Drop a window above this no-speech prob.")
    log_prob_threshold: float | None = Field(-1.0, description="...unless its average log-prob is above this.")
    beam_size: int = Field(5, ge=1, le=16, description="Beam size for whisper decoding.")
    batched_min_seconds: float | None = Field(
        60.0, gt=0, description="Audio this long uses the batched pipeline (faster on long audio); unset = never."
    )
    batch_size: int = Field(4, ge=1, le=64, description="Batch size of the batched pipeline.")
    diarize_encoder: Literal["campplus", "ge2e"] = Field(
        "campplus", description="Diarization speaker encoder: campplus (CAM++), or ge2e (the old one, for one release)."
    )
    diarize_threshold: float | None = Field(
        None, ge=0, le=1,
        description="Diarization: voices less alike than this are different speakers; unset = the encoder's calibrated value.",
    )  # fmt: skip
    diarize_max_speakers: int | None = Field(None, ge=1, description="Diarization: at most this many speakers.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: arguments (CLI flags) > EARSHOT_ environment > config file > defaults."""
        path = config_path(getattr(init_settings, "init_kwargs", {}))
        return (init_settings, env_settings, ConfigFileSource(settings_cls, path))

    @field_validator("extra_manifests", "preload", "api_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split(value)

    def all_api_keys(self) -> list[str]:
        """Keys from the setting plus the keys file (blank lines and # comments ignored)."""
        keys = list(self.api_keys)
        if self.api_keys_file is not None:
            for line in self.api_keys_file.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    keys.append(line)
        return keys

    def runtime(self, cuda_devices: int | None = None) -> RuntimeOptions:
        """Concrete device, compute type and threads for the engines."""
        device, compute_type = resolve_device(self.device, self.compute_type, cuda_devices)
        threads = self.cpu_threads or default_cpu_threads(self.workers)
        return RuntimeOptions(device=device, compute_type=compute_type, cpu_threads=threads)
