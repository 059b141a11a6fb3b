"""Text to speech over Wyoming: ``synthesize`` and the streaming ``synthesize-start/chunk/stop`` form.

Audio goes out as 16-bit mono PCM at the voice's rate: ``audio-start``, ``audio-chunk``s as each sentence
is ready, ``audio-stop``. In the streaming form every complete sentence is spoken as soon as its text has
arrived (Home Assistant streams an LLM's reply this way); ``synthesize-stopped`` ends it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStopped, SynthesizeVoice

from engines.errors import InvalidOptionError
from engines.manifest import ModelSpec
from engines.piper import read_voice_info
from server.core import CancelToken, Services
from server.errors import invalid
from server.metrics import Metrics
from server.wyoming.pcm import OUT_WIDTH, to_pcm16

logger = logging.getLogger(__name__)

Send = Callable[[Event], Awaitable[None]]
ENDPOINT = "wyoming:synthesize"
SAMPLES_PER_CHUNK = 1024  # as wyoming-piper sends them
# A sentence is complete once its end mark (and any closing quote or bracket) is followed by a space.
_COMPLETE = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019)\]]*\s+|\n")


def complete_sentences(text: str) -> tuple[str, str]:
    """(the complete sentences at the start of ``text``, the unfinished rest)."""
    end = 0
    for match in _COMPLETE.finditer(text):
        end = match.end()
    return text[:end], text[end:]


class Speaker:
    """One connection's text-to-speech state (the streaming form's voice and unspoken text)."""

    def __init__(self, services: Services, send: Send, metrics: Metrics | None) -> None:
        self.services = services
        self.send = send
        self.metrics = metrics
        self.streaming: tuple[ModelSpec, str] | None = None  # voice of the running synthesize-start
        self.pending = ""
        self.audio_started = False
        self.rate: int | None = None
        self.model_id = "-"  # the model of the last synthesis (the metrics' label)

    def _voice(self, voice: SynthesizeVoice | None) -> tuple[ModelSpec, str]:
        """(model, engine voice id) for Wyoming's voice (name, speaker, or only a language)."""
        registry = self.services.speech.registry
        name = voice.name if voice is not None else None
        if name is None and voice is not None and voice.language:
            name = self._voice_for_language(voice.language)
        if name is None:
            name = registry.default("tts").voices[0]
        spec, voice_id = registry.resolve_voice(name)
        if voice is not None and voice.speaker:
            voice_id = voice.speaker  # the engine refuses a speaker its model does not have
        return spec, voice_id

    def _voice_for_language(self, language: str) -> str:
        wanted = language.replace("-", "_").lower()
        registry = self.services.speech.registry
        for spec in registry.models("tts"):
            for name in spec.voices:
                if name.lower().startswith(wanted):
                    return name
        raise invalid(f"No voice speaks '{language}'; describe lists the voices and their languages.",
                      "voice")  # fmt: skip

    async def synthesize(self, event: Event, cancel: CancelToken) -> None:
        """``synthesize``: the whole text, as one audio stream (ignored inside the streaming form)."""
        if self.streaming is not None:
            return  # sent for older servers alongside synthesize-start/chunk; the chunks carry the text
        request = Synthesize.from_event(event)
        spec, voice_id = self._voice(request.voice)
        self.audio_started = False
        await self._speak(spec, voice_id, request.text, cancel, skip_empty=False)
        await self._finish_audio()

    def start(self, event: Event) -> None:
        """``synthesize-start``: choose the voice; text follows in chunks."""
        request = SynthesizeStart.from_event(event)
        self.streaming, self.pending, self.audio_started = None, "", False
        self.streaming = self._voice(request.voice)

    async def chunk(self, event: Event, cancel: CancelToken) -> None:
        """``synthesize-chunk``: speak every sentence completed by this text."""
        if self.streaming is None:
            raise invalid("synthesize-chunk before synthesize-start: send synthesize-start first.", "text")
        done, self.pending = complete_sentences(self.pending + SynthesizeChunk.from_event(event).text)
        if done.strip():
            await self._speak(*self.streaming, done, cancel, skip_empty=True)

    async def stop(self, cancel: CancelToken) -> None:
        """``synthesize-stop``: speak the rest, end the audio, then ``synthesize-stopped``."""
        if self.streaming is None:
            raise invalid("synthesize-stop before synthesize-start: send synthesize-start first.", "text")
        streaming, rest = self.streaming, self.pending
        try:
            if rest.strip():
                await self._speak(*streaming, rest, cancel, skip_empty=True)
            if not self.audio_started:  # nothing to say: still a well-formed (empty) audio stream
                await self._start_audio(self._rate(streaming[0]))
            await self._finish_audio()
            await self.send(SynthesizeStopped().event())
        finally:
            self.reset()

    def reset(self) -> None:
        """Forget the streaming form (after its stop, or an error)."""
        self.streaming, self.pending, self.audio_started = None, "", False

    def _rate(self, spec: ModelSpec) -> int:
        if self.rate is None:
            from engines.materialize import model_entry_point, model_location

            path = model_entry_point(spec, model_location(spec, self.services.speech.registry.models_dir))
            self.rate = read_voice_info(path).sample_rate or 22050
        return self.rate

    async def _start_audio(self, rate: int) -> None:
        await self.send(AudioStart(rate=rate, width=OUT_WIDTH, channels=1).event())
        self.audio_started = True

    async def _finish_audio(self) -> None:
        if self.audio_started:
            await self.send(AudioStop().event())
        self.audio_started = False

    async def _speak(self, spec: ModelSpec, voice_id: str, text: str, cancel: CancelToken, *,
                     skip_empty: bool) -> None:  # fmt: skip
        """Synthesise ``text`` and send its audio (``audio-start`` before the first chunk of the stream)."""
        speech = self.services.speech
        self.model_id = spec.id
        started = time.perf_counter()
        try:
            synthesis = await speech.speak(spec, text, speech.options(voice_id), cancel, endpoint=ENDPOINT)
        except InvalidOptionError as exc:
            if skip_empty and exc.param == "input":  # a streamed piece with nothing to say ("...")
                return
            raise
        async with synthesis:
            async for chunk in synthesis:
                if not self.audio_started:
                    self.rate = chunk.sample_rate
                    await self._start_audio(chunk.sample_rate)
                    if self.metrics is not None:
                        waited = time.perf_counter() - started
                        self.metrics.first_byte_sent(ENDPOINT, "wyoming", spec.id, waited)
                pcm = to_pcm16(chunk.samples)
                step = SAMPLES_PER_CHUNK * OUT_WIDTH
                for offset in range(0, len(pcm), step):
                    await self.send(AudioChunk(rate=chunk.sample_rate, width=OUT_WIDTH, channels=1,
                                               audio=pcm[offset : offset + step]).event())  # fmt: skip
