// Earshot playground: plain browser JS, no dependencies, talks to this server's OpenAI-compatible API.
"use strict";

const OPENAI_VOICES = ["alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer",
  "verse", "marin", "cedar"];
const AUDIO_TYPES = { mp3: "audio/mpeg", opus: "audio/ogg", aac: "audio/aac", flac: "audio/flac", wav: "audio/wav",
  pcm: "audio/wav" };
const TEXT_EXT = { json: "json", verbose_json: "json", text: "txt", srt: "srt", vtt: "vtt" };

const $ = (id) => document.getElementById(id);
const state = { upload: null, uploadName: "", recorder: null, chunks: [], recordStart: 0, timer: null, urls: {} };

// ---- API ------------------------------------------------------------------------------------------
function headers(extra) {
  const h = Object.assign({}, extra || {});
  const key = $("api-key").value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function apiError(response) {
  let message = response.status + " " + response.statusText;
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) message = body.error.message;
  } catch (_) { /* not JSON */ }
  if (response.status === 401) {
    $("key-box").hidden = false;
    $("api-key").classList.add("invalid");
  }
  const rid = response.headers.get("x-request-id");
  return new Error(message + (rid ? " (request " + rid + ")" : ""));
}

async function api(path, init) {
  const response = await fetch(path, Object.assign({}, init, { headers: headers((init || {}).headers) }));
  if (!response.ok) throw await apiError(response);
  return response;
}

function showError(prefix, error) {
  const box = $(prefix + "-error");
  box.textContent = error ? String(error.message || error) : "";
  box.hidden = !error;
}

function setUrl(slot, blob) {
  if (state.urls[slot]) URL.revokeObjectURL(state.urls[slot]);
  state.urls[slot] = URL.createObjectURL(blob);
  return state.urls[slot];
}

// ---- Models, voices, status -----------------------------------------------------------------------
function fillSelect(select, groups) {
  const previous = select.value;
  select.replaceChildren();
  for (const [label, values] of groups) {
    if (!values.length) continue;
    const parent = label ? document.createElement("optgroup") : select;
    if (label) { parent.label = label; select.appendChild(parent); }
    for (const [value, text] of values) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = text;
      parent.appendChild(option);
    }
  }
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
}

function voiceEntries(body) {
  // [value, label] for each voice of GET /v1/audio/voices ({voices: [...]}, {data: [...]} or a plain list).
  const items = Array.isArray(body) ? body : (body && (body.voices || body.data)) || [];
  return items.map((v) => {
    if (typeof v === "string") return [v, v];
    const id = v.id || v.name;
    return [id, v.voice && v.voice !== id ? id + " → " + v.voice : id];
  }).filter(([id]) => id);
}

async function loadModels() {
  const models = (await (await api("/v1/models")).json()).data || [];
  for (const kind of ["stt", "tts"]) {
    const own = models.filter((m) => m.kind === kind && m.id === m.root);
    const aliases = models.filter((m) => m.kind === kind && m.id !== m.root);
    fillSelect($(kind + "-model"), [
      ["", own.map((m) => [m.id, m.id + (m.english_only ? " (English only)" : "")])],
      ["OpenAI names", aliases.map((m) => [m.id, m.id + " → " + m.root])],
    ]);
  }
  let local = [];
  for (const m of models) if (m.kind === "tts" && m.id === m.root) local = local.concat(m.voices || []);
  let listed = [];
  try {
    listed = voiceEntries(await (await api("/v1/audio/voices")).json());
  } catch (_) { /* a server without the voice list */ }
  if (!listed.length) listed = OPENAI_VOICES.concat(local).map((v) => [v, v]);
  const isOpenAI = ([id]) => OPENAI_VOICES.includes(id);
  fillSelect($("tts-voice"), [
    ["OpenAI voices", listed.filter(isOpenAI)],
    ["Local voices", listed.filter((v) => !isOpenAI(v))],
  ]);
}

async function loadStatus() {
  const pill = $("server-status");
  try {
    const response = await fetch("/ready");
    const body = await response.json();
    pill.textContent = body.status === "ready" ? "ready" : body.status;
    pill.className = "pill " + (response.ok ? "ok" : "warn");
  } catch (_) {
    pill.textContent = "offline";
    pill.className = "pill bad";
  }
}

async function refresh() {
  try {
    await loadModels();
    $("api-key").classList.remove("invalid");
    showError("stt", null);
  } catch (error) {
    showError("stt", error);
  }
  loadStatus();
}

// ---- Speech to text -------------------------------------------------------------------------------
function setUpload(blob, name) {
  state.upload = blob;
  state.uploadName = name;
  const kb = (blob.size / 1024).toFixed(blob.size < 10240 ? 1 : 0);
  $("stt-selected").textContent = name + " · " + kb + " KiB";
  const preview = $("stt-preview");
  preview.src = setUrl("preview", blob);
  preview.hidden = false;
  $("stt-submit").disabled = false;
}

async function transcribe() {
  if (!state.upload) return;
  const task = $("stt-task").value;
  const format = $("stt-format").value;
  const form = new FormData();
  form.append("file", state.upload, state.uploadName);
  form.append("model", $("stt-model").value);
  form.append("response_format", format);
  const language = $("stt-language").value.trim();
  if (language && task === "transcriptions") form.append("language", language);
  const button = $("stt-submit");
  button.disabled = true;
  button.textContent = "Working…";
  showError("stt", null);
  $("stt-meta").textContent = "";
  const started = performance.now();
  try {
    const response = await api("/v1/audio/" + task, { method: "POST", body: form });
    let body = await response.text();
    if (format === "json" || format === "verbose_json") body = JSON.stringify(JSON.parse(body), null, 2);
    $("stt-output").textContent = body;
    $("stt-result-title").textContent = (task === "translations" ? "Translation" : "Transcript") + " · " + format;
    const download = $("stt-download");
    download.href = setUrl("transcript", new Blob([body], { type: "text/plain" }));
    download.download = "transcript." + TEXT_EXT[format];
    $("stt-result").hidden = false;
    $("stt-meta").textContent = ((performance.now() - started) / 1000).toFixed(2) + " s";
  } catch (error) {
    showError("stt", error);
  } finally {
    button.disabled = false;
    button.textContent = "Transcribe";
  }
}

function recorderType() {
  const candidates = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];
  return candidates.find((t) => window.MediaRecorder && MediaRecorder.isTypeSupported(t)) || "";
}

async function toggleRecording() {
  const button = $("stt-record");
  if (state.recorder) {
    state.recorder.stop();
    return;
  }
  if (!navigator.mediaDevices || !window.MediaRecorder) {
    showError("stt", new Error("Recording needs a secure page (https:// or http://localhost) and a microphone."));
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const type = recorderType();
    const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    state.chunks = [];
    recorder.ondataavailable = (e) => { if (e.data.size) state.chunks.push(e.data); };
    recorder.onstop = () => {
      stream.getTracks().forEach((t) => t.stop());
      clearInterval(state.timer);
      const mime = recorder.mimeType || type || "audio/webm";
      const ext = mime.includes("ogg") ? "ogg" : mime.includes("mp4") ? "m4a" : "webm";
      setUpload(new Blob(state.chunks, { type: mime }), "recording." + ext);
      state.recorder = null;
      button.textContent = "● Record";
      button.classList.remove("recording");
    };
    recorder.start();
    state.recorder = recorder;
    state.recordStart = performance.now();
    button.classList.add("recording");
    const tick = () => {
      button.textContent = "■ Stop " + ((performance.now() - state.recordStart) / 1000).toFixed(0) + " s";
    };
    tick();
    state.timer = setInterval(tick, 250);
    showError("stt", null);
  } catch (error) {
    showError("stt", new Error("Could not start recording: " + error.message));
  }
}

// ---- Text to speech -------------------------------------------------------------------------------
function pcmToWav(bytes, rate) {
  // Raw 16-bit mono PCM (the API's pcm format, 24 kHz) -> a WAV the <audio> element can play.
  const header = new DataView(new ArrayBuffer(44));
  const text = (offset, s) => [...s].forEach((c, i) => header.setUint8(offset + i, c.charCodeAt(0)));
  text(0, "RIFF"); header.setUint32(4, 36 + bytes.byteLength, true); text(8, "WAVE");
  text(12, "fmt "); header.setUint32(16, 16, true); header.setUint16(20, 1, true); header.setUint16(22, 1, true);
  header.setUint32(24, rate, true); header.setUint32(28, rate * 2, true); header.setUint16(32, 2, true);
  header.setUint16(34, 16, true); text(36, "data"); header.setUint32(40, bytes.byteLength, true);
  return new Blob([header.buffer, bytes], { type: "audio/wav" });
}

async function speak() {
  const input = $("tts-input").value.trim();
  if (!input) { showError("tts", new Error("Type some text first.")); return; }
  const format = $("tts-format").value;
  const payload = { model: $("tts-model").value, voice: $("tts-voice").value, input, response_format: format,
    speed: Number($("tts-speed").value) };
  const button = $("tts-submit");
  button.disabled = true;
  button.textContent = "Speaking…";
  showError("tts", null);
  $("tts-meta").textContent = "";
  const started = performance.now();
  try {
    const response = await api("/v1/audio/speech", {
      method: "POST", body: JSON.stringify(payload), headers: { "Content-Type": "application/json" },
    });
    const firstByte = performance.now() - started;
    const bytes = await response.arrayBuffer();
    const file = new Blob([bytes], { type: AUDIO_TYPES[format] });
    const playable = format === "pcm" ? pcmToWav(bytes, 24000) : file;
    const audio = $("tts-audio");
    audio.src = setUrl("speech", playable);
    const download = $("tts-download");
    download.href = format === "pcm" ? setUrl("speech-raw", file) : audio.src;
    download.download = "speech." + format;
    $("tts-info").textContent = format + " · " + (bytes.byteLength / 1024).toFixed(1) + " KiB";
    $("tts-meta").textContent = "first byte " + (firstByte / 1000).toFixed(2) + " s · total "
      + ((performance.now() - started) / 1000).toFixed(2) + " s";
    $("tts-result").hidden = false;
    audio.play().catch(() => { /* autoplay refused: the controls are there */ });
  } catch (error) {
    showError("tts", error);
  } finally {
    button.disabled = false;
    button.textContent = "Speak";
  }
}

// ---- Wiring ---------------------------------------------------------------------------------------
function init() {
  const key = $("api-key");
  key.value = sessionStorage.getItem("earshot-api-key") || "";
  if (document.body.dataset.auth === "required") $("key-box").hidden = false;
  // The key is used as typed (every request reads the field); the model lists reload shortly after typing stops.
  let typing = null;
  key.addEventListener("input", () => {
    sessionStorage.setItem("earshot-api-key", key.value.trim());
    clearTimeout(typing);
    typing = setTimeout(refresh, 300);
  });

  $("stt-file").addEventListener("change", (e) => {
    const file = e.target.files[0];
    if (file) setUpload(file, file.name);
  });
  const drop = $("stt-drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const file = e.dataTransfer.files[0];
    if (file) setUpload(file, file.name);
  });
  $("stt-record").addEventListener("click", toggleRecording);
  $("stt-submit").addEventListener("click", transcribe);
  $("stt-task").addEventListener("change", () => {
    $("stt-language").disabled = $("stt-task").value === "translations";
  });
  $("stt-copy").addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(
    $("stt-output").textContent));

  const count = () => { $("tts-count").textContent = $("tts-input").value.length; };
  $("tts-input").addEventListener("input", count);
  count();
  const speed = () => { $("tts-speed-value").textContent = Number($("tts-speed").value).toFixed(2) + "×"; };
  $("tts-speed").addEventListener("input", speed);
  speed();
  $("tts-submit").addEventListener("click", speak);
  $("tts-input").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) speak(); });
  refresh();
}

document.addEventListener("DOMContentLoaded", init);
