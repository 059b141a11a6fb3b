# syntax=docker/dockerfile:1
# Earshot, CPU image: faster-whisper (CTranslate2 int8) + piper (onnxruntime), models baked in.
#   docker build -t earshot .
#   docker run --rm -p 8000:8000 earshot
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    EARSHOT_HOST=0.0.0.0 \
    EARSHOT_PORT=8000 \
    EARSHOT_MODELS_DIR=/models \
    HF_HUB_OFFLINE=1

RUN groupadd --system --gid 10001 earshot \
 && useradd --system --uid 10001 --gid earshot --home-dir /home/earshot --create-home earshot

WORKDIR /opt/earshot
COPY pyproject.toml README.md ./
COPY engines ./engines
COPY server ./server
COPY models ./models
RUN pip install --no-cache-dir . \
 && mkdir -p /models \
 && earshot models verify \
 && chown -R earshot:earshot /models

COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/earshot-entrypoint

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"EARSHOT_PORT\", \"8000\")}/health', timeout=4)"]
ENTRYPOINT ["/usr/local/bin/earshot-entrypoint"]
CMD ["serve"]
