// A Listening paper's recording, played on the server's timeline: the parts play once, one after the
// other, from `audio_started_at` (moved later by the session's pauses), so the live position is
// server now − audio_started_at, the server's now being the countdown's clock. A student who joins late or
// reloads hears the live position; the page has no pause, seek or replay: it seeks back to the live
// position when the element drifts more than a second, and plays again when the element stops. After the
// last part: the review time. A browser that refuses to play without a gesture gets a "Start listening"
// button.

import { $, config, page } from "./context.js";
import { showPassage } from "./navigator.js";
import { countdown } from "./phases.js";
import { partAt } from "./timeline.js";

const DRIFT_SECONDS = 1;
const TICK_MS = 250;
const VOLUME_KEY = "ielts-listening-volume";

export const listening = {
  startedAt: null, // ms since the epoch, on the server's clock
  part: null, // the index of the part whose recording is in the element
  blocked: false, // the browser refused to play without a gesture
  starting: false, // a play() is pending
  timer: null,
};

export const isListening = () => config.module === "LISTENING";

const lengths = () => config.passages.map((p) => Number(p.audio_seconds) || 0);

/** Seconds since the first part started, on the server's clock. */
export const livePosition = () => (Date.now() + countdown.offset - listening.startedAt) / 1000;

export function setAudioStart(iso) {
  const moment = Date.parse(iso || "");
  if (Number.isNaN(moment)) return;
  listening.startedAt = moment;
  tick();
}

export function startListening() {
  if (!isListening() || listening.timer) return;
  if (config.audio_started_at) setAudioStart(config.audio_started_at);
  document.addEventListener("click", (event) => {
    if (event.target.closest("#listening-start")) startByGesture();
  });
  document.addEventListener("input", (event) => {
    if (event.target.id === "listening-volume") setVolume(event.target.value);
  });
  listening.timer = setInterval(tick, TICK_MS);
}

function setVolume(value) {
  const volume = Math.max(0, Math.min(1, Number(value)));
  if (Number.isNaN(volume)) return;
  try {
    localStorage.setItem(VOLUME_KEY, String(volume));
  } catch {
    /* private mode: the volume still applies to this page */
  }
  const audio = $("#listening-audio");
  if (audio) audio.volume = volume;
}

function storedVolume() {
  try {
    const stored = localStorage.getItem(VOLUME_KEY);
    return stored === null ? 1 : Math.max(0, Math.min(1, Number(stored) || 0));
  } catch {
    return 1;
  }
}

function startByGesture() {
  listening.blocked = false;
  const audio = $("#listening-audio");
  if (!audio) return;
  const where = partAt(lengths(), livePosition());
  if (where.index !== null && audio.readyState >= 1) audio.currentTime = where.offset;
  play(audio); // inside the click: allowed now
}

function play(audio) {
  if (listening.starting) return;
  listening.starting = true;
  audio.play().then(
    () => {
      listening.starting = false;
      listening.blocked = false;
      render();
    },
    (error) => {
      listening.starting = false;
      if (error && error.name === "NotAllowedError") listening.blocked = true;
      render();
    },
  );
}

const shouldPlay = () => page.phase === "test" && !page.paused && listening.startedAt !== null;

function tick() {
  const audio = $("#listening-audio"); // looked up each time: the paper's markup is swapped in when it loads
  if (!audio) return;
  if (!audio.dataset.bound) {
    audio.dataset.bound = "1";
    audio.volume = storedVolume();
    const slider = $("#listening-volume");
    if (slider) slider.value = String(audio.volume);
    audio.addEventListener("loadedmetadata", tick);
    listening.part = null; // a fresh element has no recording yet
  }
  const where = listening.startedAt === null ? null : partAt(lengths(), livePosition());
  if (!shouldPlay() || !where || where.index === null) {
    if (!audio.paused) audio.pause();
    render(where);
    return;
  }
  const part = config.passages[where.index];
  if (listening.part !== where.index) {
    listening.part = where.index;
    if (part.audio) audio.src = part.audio;
    else audio.removeAttribute("src");
    showPassage(where.index); // the questions of the part playing, beside the bar
  }
  if (part.audio && audio.readyState >= 1) {
    if (Math.abs(audio.currentTime - where.offset) > DRIFT_SECONDS) audio.currentTime = where.offset;
    if (audio.paused && !listening.blocked) play(audio);
  }
  render(where);
}

function render(where = listening.startedAt === null ? null : partAt(lengths(), livePosition())) {
  const bar = $("#listening-bar");
  if (!bar) return;
  const status = $("#listening-status");
  const count = config.passages.length;
  let text = "Listening: the recording starts with the test";
  let state = "waiting";
  if (page.paused) {
    text = "Paused: the recording goes on when your teacher resumes";
    state = "paused";
  } else if (where && where.review) {
    text = "Review time: check your answers";
    state = "review";
  } else if (where && where.index !== null) {
    text = `Part ${where.index + 1} of ${count} — playing`;
    state = "playing";
  }
  if (status.textContent !== text) status.textContent = text;
  bar.dataset.state = state;
  const start = $("#listening-start");
  if (start) start.hidden = !(listening.blocked && state === "playing");
}
