// Earshot playground, "Live" card: the microphone streamed over /v1/realtime (OpenAI's Realtime API),
// turns shown as they complete, interim text while speaking. Plain browser JS, no dependencies.
"use strict";

const live = { ws: null, stream: null, context: null, node: null, interim: null };

function liveStatus(text) { document.getElementById("live-status").textContent = text; }

function liveError(message) {
  const box = document.getElementById("live-error");
  box.textContent = message || "";
  box.hidden = !message;
}

function pcmBase64(samples) {  // float32 [-1, 1] -> base64 of s16le
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(i * 2, s < 0 ? s * 32768 : s * 32767, true);
  }
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function liveLine(itemId) {
  let line = document.querySelector('#live-output p[data-item="' + itemId + '"]');
  if (!line) {
    line = document.createElement("p");
    line.dataset.item = itemId;
    document.getElementById("live-output").appendChild(line);
  }
  return line;
}

function onLiveEvent(event) {
  if (event.type === "input_audio_buffer.speech_started") {
    liveStatus("hearing speech…");
  } else if (event.type === "conversation.item.input_audio_transcription.interim") {
    const line = liveLine(event.item_id);
    line.className = "interim";
    line.textContent = event.transcript;
  } else if (event.type === "input_audio_buffer.speech_stopped") {
    liveStatus("transcribing…");
  } else if (event.type === "conversation.item.input_audio_transcription.completed") {
    const line = liveLine(event.item_id);
    line.className = "final";
    line.textContent = event.transcript;
    liveStatus("listening");
  } else if (event.type === "conversation.item.input_audio_transcription.failed" || event.type === "error") {
    liveError(event.error.message);
  }
}

async function startLive() {
  liveError("");
  const key = document.getElementById("api-key").value.trim();
  const protocols = key ? ["realtime", "openai-insecure-api-key." + key] : ["realtime"];
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  live.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
  live.context = new AudioContext({ sampleRate: 24000 });  // the browser resamples the microphone
  const ws = new WebSocket(scheme + location.host + "/v1/realtime?intent=transcription", protocols);
  live.ws = ws;
  ws.onmessage = (message) => onLiveEvent(JSON.parse(message.data));
  ws.onclose = (close) => {
    const box = document.getElementById("live-error");
    if (close.code !== 1000 && close.code !== 1005 && box.hidden) liveError("closed (" + close.code + ")");
    stopLive();
  };
  ws.onopen = () => {
    const language = document.getElementById("live-language").value.trim() || null;
    ws.send(JSON.stringify({ type: "session.update", session: { type: "transcription", audio: { input: {
      format: { type: "audio/pcm", rate: 24000 },
      transcription: { model: document.getElementById("live-model").value || "whisper-1", language,
        interim_results: document.getElementById("live-interim").checked },
      turn_detection: { type: "server_vad", threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 },
    } } } }));
    const source = live.context.createMediaStreamSource(live.stream);
    live.node = live.context.createScriptProcessor(2048, 1, 1);  // ~85 ms per event at 24 kHz
    live.node.onaudioprocess = (e) => {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({ type: "input_audio_buffer.append", audio: pcmBase64(e.inputBuffer.getChannelData(0)) }));
      }
    };
    source.connect(live.node);
    live.node.connect(live.context.destination);
    liveStatus("listening");
    document.getElementById("live-toggle").textContent = "■ Stop";
  };
}

function stopLive() {
  if (live.node) { live.node.disconnect(); live.node = null; }
  if (live.context) { live.context.close(); live.context = null; }
  if (live.stream) { live.stream.getTracks().forEach((t) => t.stop()); live.stream = null; }
  if (live.ws && live.ws.readyState <= WebSocket.OPEN) live.ws.close(1000);
  live.ws = null;
  document.getElementById("live-toggle").textContent = "● Start live";
  liveStatus("stopped");
}

function initLive() {
  document.getElementById("live-toggle").addEventListener("click", () => {
    if (live.ws) stopLive();
    else startLive().catch((error) => { liveError(String(error.message || error)); stopLive(); });
  });
  const models = document.getElementById("stt-model");
  const copy = () => { document.getElementById("live-model").innerHTML = models.innerHTML; };
  new MutationObserver(copy).observe(models, { childList: true, subtree: true });
  copy();
}

document.addEventListener("DOMContentLoaded", initLive);
