"""Regenerate the non-English test speech (needs Debian's espeak-ng; the outputs are vendored).

apt-get install espeak-ng && python tests/data/foreign/generate.py
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import av

HERE = Path(__file__).resolve().parent
SENTENCES = {
    "de": "Guten Morgen. Ich heiße Anna und ich wohne in Berlin. Heute ist das Wetter sehr schön, "
    "und ich gehe in den Park.",
    "es": "Buenos días. Me llamo Carlos y vivo en Madrid. "
    "Hoy hace buen tiempo y voy a la playa con mis amigos.",
}


def encode_opus(wav: Path, out: Path) -> None:
    """Any wav -> 16 kHz mono Ogg/Opus, 32 kb/s."""
    with av.open(str(wav)) as src, av.open(str(out), "w", format="ogg") as dst:
        stream = dst.add_stream("libopus", rate=16000, layout="mono")
        stream.bit_rate = 32000
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        for frame in src.decode(audio=0):
            for chunk in resampler.resample(frame):
                dst.mux(stream.encode(chunk))
        for chunk in resampler.resample(None):
            dst.mux(stream.encode(chunk))
        dst.mux(stream.encode(None))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for lang, text in SENTENCES.items():
            wav = Path(tmp) / f"{lang}.wav"
            subprocess.run(["espeak-ng", "-v", lang, "-s", "120", "-w", str(wav), text], check=True)
            encode_opus(wav, HERE / f"espeak-{lang}.ogg")
            (HERE / f"espeak-{lang}.txt").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
