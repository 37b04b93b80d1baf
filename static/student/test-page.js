// The student's test page: waiting room → test → finished, over one WebSocket to the session.
// Every change the student makes is applied on screen at once, queued in the outbox and sent;
// it leaves the outbox only when the server acknowledges its event_id.

import { Outbox, outboxKey, replacementKey, wireMessage } from "./outbox.js";
import { LiveSocket, socketUrl } from "./socket.js";
import { emptyState, mergeState } from "./state.js";
import { codePointsToUtf16, renderPassage, selectionOffsets, utf16ToCodePoints } from "./highlights.js";
import { Countdown, formatRemaining } from "./timer.js";

const config = JSON.parse(document.getElementById("student-test-config").textContent);
const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

const MAX_IN_FLIGHT = 100;
const TEXT_DEBOUNCE_MS = 600;
const LAST_MINUTES_WARNING = 2; // warn an offline student this many (paper) minutes before the end
const TIMER_WARNINGS = [10, 5]; // (paper) minutes: the timer turns red and flashes
const CLOSED_ERRORS = new Set(["time_up", "attempt_closed", "already_submitted", "not_in_progress", "session_not_in_progress"]);
// Worth sending again later: the server was busy, failed for a moment, or raced a copy of the same event
// (a resend is then acknowledged as a duplicate, with the highlight id where there is one).
const RETRY_ERRORS = new Set(["rate_limited", "server_error", "duplicate_event"]);
const TEST_PHASES = new Set(["test", "timeup", "submitting"]);
const NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

const page = {
  phase: "connecting", // connecting | not-open | waiting | test | timeup | submitting | finished | closed
  sessionStatus: config.status,
  attemptId: config.attempt ? config.attempt.id : null,
  state: emptyState(),
  paperLoaded: Boolean(config.paper_loaded),
  paperPromise: null,
  uiBound: false,
  positionRestored: false,
  ready: false, // `connected` received on the current socket
  inFlight: new Set(),
  appliedSeq: new Map(), // replacement key → seq of the newest acknowledged event for it
  committed: new Map(), // question id → the answer last queued or known to the server
  textTimers: new Map(),
  current: { passageIndex: 0, questionId: null },
  lastPosition: null,
  justHighlighted: false,
  refusedAsLate: 0, // changes the server refused because the test had ended
  lastHiddenAt: 0,
  copiedHere: "", // the text last copied on this page: pasting it is not a violation
  lastStatusCheck: 0,
  banner: { key: "", text: "" },
};

const questions = () => config.questions;
const questionById = (id) => config.questions.find((q) => String(q.id) === String(id));
const questionByNumber = (n) => config.questions.find((q) => q.number === n);
const passageById = (id) => config.passages.find((p) => String(p.id) === String(id));
const paperMinutes = (minutes) => minutes * (config.seconds_per_minute || 60);

const outbox = new Outbox(outboxKey(config.session_id, config.user_id));
outbox.onChange(() => updateConnectionUi());

const countdown = new Countdown({
  warnings: TIMER_WARNINGS.map(paperMinutes),
  onTick: (ms) => {
    $("#timer").textContent = formatRemaining(ms);
    $("#timer-box").classList.toggle("warning", ms <= paperMinutes(TIMER_WARNINGS[0]) * 1000);
    if (page.phase !== "finished") updateBanner();
  },
  onWarning: (seconds) => {
    const minutes = TIMER_WARNINGS.find((m) => paperMinutes(m) === seconds);
    announce(`${minutes} minutes remaining.`);
    const box = $("#timer-box");
    box.classList.remove("flash");
    void box.offsetWidth; // restart the animation
    box.classList.add("flash");
  },
  onZero: () => timeUpLocally(),
});

const socket = new LiveSocket(socketUrl(config.ws_path), {
  onOpen: () => {
    page.ready = false;
    page.inFlight.clear();
  },
  onMessage: (message) => handleMessage(message),
  onClose: ({ attempts }) => {
    page.ready = false;
    page.inFlight.clear();
    if (attempts >= 2 || page.phase === "timeup" || page.phase === "submitting") checkSessionOverRest();
  },
  onStateChange: () => updateConnectionUi(),
});

// ------------------------------------------------------------------ screens and messages

function showScreen(name) {
  for (const screen of ["connecting", "waiting", "test", "finished", "closed"]) {
    $(`#screen-${screen}`).hidden = screen !== name;
  }
  $("#timer-box").hidden = !(name === "test" && countdown.known);
}

function setPhase(phase) {
  page.phase = phase;
  const screens = {
    connecting: "connecting",
    "not-open": "waiting",
    waiting: "waiting",
    test: "test",
    timeup: "test",
    submitting: "test",
    finished: "finished",
    closed: "closed",
  };
  showScreen(screens[phase]);
  if (phase === "not-open") {
    $("#waiting-message").textContent =
      "The waiting room is not open yet. Keep this page open: it connects by itself when your teacher opens it.";
  } else if (phase === "waiting") {
    $("#waiting-message").textContent = "Please wait. The test will begin when your teacher starts it.";
  }
  updateConnectionUi();
}

function announce(text) {
  const announcer = $("#announcer");
  announcer.textContent = "";
  setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}

function setBanner(key, text, kind = "") {
  if (page.banner.key === key && page.banner.text === text) return;
  page.banner = { key, text };
  const region = $("#banner-region");
  if (!text) {
    region.replaceChildren();
    return;
  }
  const banner = document.createElement("div");
  banner.className = `banner ${kind}`.trim();
  banner.id = "banner";
  banner.dataset.kind = key;
  banner.textContent = text;
  region.replaceChildren(banner);
}

function changesText(n) {
  return n === 1 ? "1 change" : `${n} changes`;
}

function updateBanner() {
  const connected = socket.state === "online";
  const remaining = countdown.remainingMs();
  if (page.phase === "finished" || page.phase === "closed") {
    setBanner("", "");
  } else if (!connected && TEST_PHASES.has(page.phase)) {
    const waiting = outbox.size ? ` ${changesText(outbox.size)} waiting to be sent.` : "";
    if (remaining !== null && remaining <= paperMinutes(LAST_MINUTES_WARNING) * 1000) {
      setBanner(
        "offline-end",
        "You are offline and the test is about to end. Answers the server has not received by the end of the test " +
          `cannot count. Reconnect now if you can.${waiting}`,
        "danger",
      );
    } else if (page.phase === "submitting") {
      setBanner("offline", `You are offline. Your test will be submitted as soon as the connection is back.${waiting}`);
    } else {
      setBanner(
        "offline",
        "You are offline. Keep working: your answers are kept on this device and will be sent when the " +
          `connection is back.${waiting}`,
      );
    }
  } else if (!connected && socket.state === "reconnecting" && page.phase === "waiting") {
    setBanner("offline", "Connection lost. Reconnecting…");
  } else if (page.phase === "submitting") {
    setBanner("submitting", "Submitting your answers…", "info");
  } else if (page.banner.key === "left-page" || page.banner.key === "error") {
    // keep until it times out
  } else {
    setBanner("", "");
  }
}

function updateConnectionUi() {
  const status = $("#conn-status");
  const text = $("#conn-text");
  const state = socket.state;
  status.dataset.state = state === "online" ? "online" : state === "connecting" ? "connecting" : "offline";
  if (page.phase === "finished" || page.phase === "closed") {
    status.dataset.state = "online";
    text.textContent = "Finished";
  } else if (state === "online") {
    text.textContent = outbox.size && TEST_PHASES.has(page.phase) ? `Saving… (${outbox.size})` : "Connected · all saved";
    if (!TEST_PHASES.has(page.phase)) text.textContent = "Connected";
  } else if (state === "offline") {
    text.textContent = outbox.size ? `Offline · ${outbox.size} not sent yet` : "Offline";
  } else if (state === "reconnecting") {
    text.textContent = outbox.size ? `Reconnecting… · ${outbox.size} not sent yet` : "Reconnecting…";
  } else {
    text.textContent = "Connecting…";
  }
  updateBanner();
}

// ------------------------------------------------------------------ the outbox on the wire

function queue(type, data, extra) {
  const entry = outbox.add(type, data, extra);
  flush();
  return entry;
}

function flush() {
  if (!socket.isOpen || !page.ready || !TEST_PHASES.has(page.phase)) return;
  for (const entry of outbox.entries) {
    if (page.inFlight.size >= MAX_IN_FLIGHT) break;
    if (page.inFlight.has(entry.event_id)) continue;
    const key = replacementKey(entry);
    if (key && (page.appliedSeq.get(key) ?? -1) > (entry.seq || 0)) {
      outbox.drop(entry.event_id); // a newer answer (or flag) already reached the server: this one is stale
      continue;
    }
    const message = wireMessage(entry);
    if (!message) continue;
    if (!socket.send(message)) break;
    page.inFlight.add(entry.event_id);
  }
  updateConnectionUi();
}

function requestSync() {
  socket.send({ type: "state_sync_request", data: {} });
}

// ------------------------------------------------------------------ messages from the server

function handleMessage(message) {
  switch (message.type) {
    case "connected":
      if (String(message.user_id) !== String(config.user_id)) {
        wrongUser();
        return;
      }
      page.ready = true;
      if (message.server_now) countdown.sync(null, message.server_now);
      if (TEST_PHASES.has(page.phase)) {
        flush(); // replay the outbox in order…
        requestSync(); // …then re-sync: the answer arrives after the replayed events are applied
      } else if (page.phase === "connecting" || page.phase === "not-open") {
        setPhase(page.sessionStatus === "IN_PROGRESS" ? "connecting" : "waiting");
      }
      break;
    case "waiting_room_opened":
      if (page.phase === "not-open" || page.phase === "connecting") setPhase("waiting");
      break;
    case "session_status_changed":
      page.sessionStatus = message.status;
      if (message.status === "WAITING_FOR_STUDENTS" && (page.phase === "not-open" || page.phase === "connecting")) {
        setPhase("waiting");
      } else if (message.status === "CANCELLED") {
        closed("Your teacher cancelled this session.");
      }
      break;
    case "session_started":
      page.sessionStatus = "IN_PROGRESS";
      countdown.sync(message.ends_at, message.server_now);
      if (Array.isArray(message.connected_students) && !message.connected_students.some((id) => String(id) === String(config.user_id))) {
        socket.retryNow(); // we joined at the very moment of the start: a fresh connection creates our attempt
      }
      ensurePaper().then(() => enterTest(), () => {});
      break;
    case "state_sync_response":
      handleSync(message);
      break;
    case "ack":
      handleAck(message);
      break;
    case "error":
      handleError(message);
      break;
    case "session_completed":
      page.sessionStatus = "COMPLETED";
      finish({ reason: message.reason === "TIME_UP" ? "time" : "teacher", lost: outbox.workSize });
      break;
    case "session_cancelled":
      closed("Your teacher cancelled this session.");
      break;
    case "pong":
      if (message.server_now) countdown.sync(null, message.server_now);
      break;
    default:
      break; // types this page does not know are ignored
  }
}

async function handleSync(message) {
  page.sessionStatus = message.status;
  countdown.sync(message.ends_at, message.server_now);
  const attempt = message.attempt;
  if (!attempt) return;
  page.attemptId = attempt.id;
  if (attempt.status !== "IN_PROGRESS" || message.status === "COMPLETED") {
    finish({ attempt, reason: attempt.status === "SUBMITTED" && message.status !== "COMPLETED" ? "submitted" : "ended", lost: outbox.workSize });
    return;
  }
  try {
    await ensurePaper();
  } catch {
    return;
  }
  commitTextInputs();
  page.state = mergeState(attempt, outbox.pending());
  rememberCommitted();
  enterTest();
  renderAll();
  restorePositionOnce();
}

function handleAck(message) {
  page.inFlight.delete(message.event_id);
  const entry = outbox.ack(message.event_id);
  const key = entry && replacementKey(entry);
  if (key) page.appliedSeq.set(key, Math.max(page.appliedSeq.get(key) ?? -1, entry.seq || 0));
  if (entry && entry.type === "text_highlighted" && message.highlight_id != null) {
    outbox.resolveHighlight(entry.event_id, message.highlight_id);
    const highlight = page.state.highlights.find((h) => h.eventId === entry.event_id);
    if (highlight) {
      const duplicate = page.state.highlights.some(
        (h) => h !== highlight && h.id != null && String(h.id) === String(message.highlight_id),
      );
      if (duplicate) {
        page.state.highlights = page.state.highlights.filter((h) => h !== highlight);
      } else {
        Object.assign(highlight, { id: message.highlight_id, key: `h:${message.highlight_id}`, pending: false });
      }
      renderHighlights(highlight.passageId);
    }
  }
  if (entry && entry.type === "submit_attempt") {
    finish({ reason: "submitted" });
    return;
  }
  flush();
}

function handleError(message) {
  const eventId = message.event_id;
  if (!eventId) {
    console.warn("server error", message);
    return;
  }
  page.inFlight.delete(eventId);
  const entry = outbox.get(eventId);
  if (!entry) return;
  if (RETRY_ERRORS.has(message.code)) {
    page.inFlight.add(eventId); // held back until the retry, so the next flush does not resend it at once
    setTimeout(() => {
      page.inFlight.delete(eventId);
      flush();
    }, 1000 + Math.random() * 1000);
    return;
  }
  outbox.drop(eventId);
  if (entry.type === "text_highlighted") outbox.dropHighlightRefs(eventId);
  if (CLOSED_ERRORS.has(message.code)) {
    if (entry.type !== "progress_update" && entry.type !== "tab_violation" && entry.type !== "submit_attempt") {
      page.refusedAsLate += 1;
    }
    if (entry.type === "submit_attempt" && message.code === "already_submitted") {
      finish({ reason: "submitted" });
    } else {
      checkSessionOverRest(true);
    }
    return;
  }
  console.warn("event refused", entry.type, message.code, message.message);
  if (entry.type === "answer_submitted") {
    const q = questionById(entry.data.question_id);
    setBanner("error", `Your answer to question ${q ? q.number : ""} was not accepted: ${message.message || message.code}`, "danger");
    setTimeout(() => page.banner.key === "error" && setBanner("", ""), 8000);
  }
  requestSync(); // show what the server really holds
}

// ------------------------------------------------------------------ phases

async function ensurePaper() {
  if (page.paperLoaded) {
    bindTestUi();
    return;
  }
  if (!page.paperPromise) {
    page.paperPromise = loadPaper().catch((error) => {
      page.paperPromise = null;
      throw error;
    });
  }
  await page.paperPromise;
}

/** The paper is rendered on the server only once the test has started: fetch this page again and take it. */
async function loadPaper() {
  for (let attempt = 0; attempt < 4; attempt += 1) {
    try {
      const response = await fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        const screen = doc.getElementById("test-screen");
        const fresh = JSON.parse(doc.getElementById("student-test-config").textContent);
        if (screen && fresh.paper_loaded) {
          config.passages = fresh.passages;
          config.questions = fresh.questions;
          $("#screen-test").replaceChildren(document.importNode(screen, true));
          $("#student-test-config").replaceWith(document.importNode(doc.getElementById("student-test-config"), true));
          page.paperLoaded = true;
          bindTestUi();
          requestSync(); // anything acknowledged while the paper was loading shows up in this answer
          return;
        }
      }
    } catch {
      /* offline or the server is restarting: try again */
    }
    await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
  }
  window.location.reload();
  throw new Error("paper not available");
}

function enterTest() {
  if (TEST_PHASES.has(page.phase) || page.phase === "finished" || page.phase === "closed") return;
  const submitting = outbox.entries.some((e) => e.type === "submit_attempt");
  setPhase(submitting ? "submitting" : "test");
  countdown.start();
  showScreen("test");
  if (submitting) lockInputs();
  if (countdown.known && countdown.remainingMs() <= 0) timeUpLocally();
  flush();
}

function timeUpLocally() {
  if (page.phase !== "test" && page.phase !== "submitting") return;
  commitTextInputs();
  page.phase = "timeup";
  lockInputs();
  const notice = $("#timeup-notice");
  if (notice) notice.hidden = false;
  announce("Time is up. You can no longer change your answers.");
  updateConnectionUi();
  flush(); // events already made still count if they arrive within the server's grace period
  setTimeout(() => page.phase === "timeup" && checkSessionOverRest(true), 15000);
}

function lockInputs() {
  const sheet = $("#answer-sheet");
  if (sheet) sheet.disabled = true;
  const submit = $("#submit-open");
  if (submit) submit.disabled = true;
}

async function finish({ attempt = null, reason = "ended", lost = 0 }) {
  if (page.phase === "finished") return;
  commitTextInputs();
  page.phase = "finished";
  socket.stop();
  countdown.stop();
  lockInputs();
  for (const timer of page.textTimers.values()) clearTimeout(timer);
  const titles = {
    time: ["Time is up", "The test has ended and your answers have been submitted."],
    teacher: ["The test has ended", "Your teacher ended the test. Your answers have been submitted."],
    submitted: ["Test submitted", "Your answers have been submitted."],
    ended: ["Test finished", "Your answers have been submitted."],
  };
  const [title, text] = titles[reason] || titles.ended;
  $("#finished-title").textContent = title;
  $("#finished-message").textContent = text;
  showLost(lost + page.refusedAsLate);
  outbox.clear();
  setPhase("finished");
  setBanner("", "");
  announce(title);
  const body = attempt && attempt.score != null ? attempt : await fetchAttempt();
  showResult(body);
}

function showLost(lost) {
  if (lost <= 0) return;
  const note = $("#finished-lost");
  note.textContent =
    `${changesText(lost)} made on this device had not reached the server when the test ended, ` +
    `so ${lost === 1 ? "it" : "they"} could not count.`;
  note.hidden = false;
}

function showResult(attempt) {
  if (!attempt || attempt.score == null) return;
  $("#finished-score").textContent = attempt.score;
  $("#finished-band").textContent = Number(attempt.band).toFixed(1);
  $("#finished-result").hidden = false;
}

function closed(text) {
  if (page.phase === "finished") return;
  page.phase = "closed";
  socket.stop();
  countdown.stop();
  $("#closed-message").textContent = text;
  setPhase("closed");
}

function wrongUser() {
  socket.stop();
  closed(
    "You are logged in as someone else in this browser now. Log in again as " +
      `${config.username} and reload this page; your answers are kept on this device.`,
  );
}

async function fetchJson(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${response.status}`);
  return response.json();
}

async function fetchAttempt() {
  if (page.attemptId == null) return null;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      return await fetchJson(`${config.attempt_api}${page.attemptId}`);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  return null;
}

/** The socket cannot (re)connect, or the server refused an event as too late: has the session ended? */
async function checkSessionOverRest(force = false) {
  if (page.phase === "finished" || page.phase === "closed") return;
  if (!force && Date.now() - page.lastStatusCheck < 10000) return;
  page.lastStatusCheck = Date.now();
  try {
    const session = await fetchJson(config.session_api);
    page.sessionStatus = session.status;
    if (session.status === "COMPLETED") {
      finish({ reason: page.phase === "timeup" ? "time" : "ended", lost: outbox.workSize });
    } else if (session.status === "CANCELLED") {
      closed("Your teacher cancelled this session.");
    } else if (page.attemptId != null) {
      const attempt = await fetchJson(`${config.attempt_api}${page.attemptId}`);
      if (attempt.status !== "IN_PROGRESS") finish({ attempt, reason: "submitted", lost: outbox.workSize });
    }
  } catch {
    /* offline: the socket keeps trying */
  }
}

// ------------------------------------------------------------------ rendering

function questionEl(id) {
  return document.getElementById(`question-${id}`);
}

function renderAnswers() {
  for (const q of questions()) {
    const answer = page.state.answers.get(String(q.id)) ?? "";
    const el = questionEl(q.id);
    if (!el) continue;
    const text = $(".text-answer", el);
    if (text) {
      if (document.activeElement !== text || !page.textTimers.has(String(q.id))) text.value = answer;
      checkWordLimit(text);
    } else {
      for (const radio of $$('input[type="radio"]', el)) radio.checked = radio.value === answer;
    }
  }
}

function renderFlags() {
  for (const button of $$(".flag-button")) {
    const flagged = page.state.flags.has(String(button.dataset.questionId));
    button.setAttribute("aria-pressed", String(flagged));
    questionEl(button.dataset.questionId)?.classList.toggle("flagged", flagged);
  }
}

function isAnswered(id) {
  const answer = page.state.answers.get(String(id));
  return typeof answer === "string" && answer.trim() !== "";
}

function renderNavigator() {
  for (const button of $$(".nav-q")) {
    const id = button.dataset.questionId;
    const answered = isAnswered(id);
    const flagged = page.state.flags.has(String(id));
    const current = String(page.current.questionId) === String(id);
    button.classList.toggle("answered", answered);
    button.classList.toggle("flagged", flagged);
    button.classList.toggle("current", current);
    if (current) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
    button.setAttribute(
      "aria-label",
      `Question ${button.dataset.number}, ${answered ? "answered" : "unanswered"}${flagged ? ", flagged for review" : ""}`,
    );
  }
}

function renderHighlights(passageId) {
  const passage = passageById(passageId);
  const el = passage && document.getElementById(`passage-text-${passage.id}`);
  if (!el) return;
  renderPassage(
    el,
    passage.text,
    page.state.highlights.filter((h) => h.passageId === String(passage.id)),
  );
}

function renderAll() {
  renderAnswers();
  renderFlags();
  renderNavigator();
  for (const passage of config.passages) renderHighlights(passage.id);
}

function showPassage(index, { send = false } = {}) {
  const count = config.passages.length;
  if (!count) return;
  index = Math.max(0, Math.min(count - 1, index));
  page.current.passageIndex = index;
  for (const tab of $$(".part-tab")) {
    const selected = Number(tab.dataset.passageIndex) === index;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  for (const part of $$(".part")) part.hidden = Number(part.dataset.passageIndex) !== index;
  const current = questionById(page.current.questionId);
  if (!current || current.passage_index !== index) {
    const first = questions().find((q) => q.passage_index === index);
    if (first) setCurrent(first.id, { send: false });
  }
  if (send) sendProgress();
}

function setCurrent(id, { send = true } = {}) {
  if (String(page.current.questionId) === String(id) && !send) return;
  page.current.questionId = id;
  for (const el of $$(".question.current")) el.classList.remove("current");
  questionEl(id)?.classList.add("current");
  renderNavigator();
  if (send) sendProgress();
}

function sendProgress() {
  if (page.phase !== "test") return;
  const q = questionById(page.current.questionId);
  const position = { passage_index: page.current.passageIndex, question_index: q ? q.number - 1 : 0 };
  if (
    page.lastPosition &&
    page.lastPosition.passage_index === position.passage_index &&
    page.lastPosition.question_index === position.question_index
  ) {
    return;
  }
  page.lastPosition = position;
  page.state.position = position;
  queue("progress_update", position);
}

function restorePositionOnce() {
  if (page.positionRestored) return;
  page.positionRestored = true;
  const { passage_index: passageIndex, question_index: questionIndex } = page.state.position;
  page.lastPosition = { passage_index: passageIndex, question_index: questionIndex };
  const q = questionByNumber(questionIndex + 1);
  if (q && q.passage_index === passageIndex) setCurrent(q.id, { send: false });
  showPassage(passageIndex);
  questionEl(page.current.questionId)?.scrollIntoView({ block: "nearest" });
}

function goToQuestion(id) {
  const q = questionById(id);
  if (!q) return;
  showPassage(q.passage_index);
  setCurrent(q.id, { send: true });
  const el = questionEl(q.id);
  if (!el) return;
  el.scrollIntoView({ block: "nearest" });
  const target = $('input[type="radio"]:checked', el) || $("input", el);
  if (target && !target.disabled) target.focus({ preventScroll: true });
}

// ------------------------------------------------------------------ what the student does

const acceptingInput = () => page.phase === "test";

function rememberCommitted() {
  page.committed = new Map();
  for (const q of questions()) page.committed.set(String(q.id), page.state.answers.get(String(q.id)) ?? "");
}

function answer(id, value) {
  const key = String(id);
  if (value.trim() === "") page.state.answers.delete(key);
  else page.state.answers.set(key, value);
  renderNavigator();
}

function commitAnswer(id, value) {
  const key = String(id);
  clearTimeout(page.textTimers.get(key));
  page.textTimers.delete(key);
  if (!acceptingInput() && page.phase !== "timeup") return;
  if ((page.committed.get(key) ?? "") === value) return;
  page.committed.set(key, value);
  const q = questionById(id);
  queue("answer_submitted", { question_id: q ? q.id : id, answer: value });
}

function commitTextInputs() {
  for (const key of [...page.textTimers.keys()]) {
    const input = document.getElementById(`answer-${key}`);
    if (input) commitAnswer(key, input.value);
  }
}

function countWords(value) {
  const trimmed = value.trim();
  return trimmed ? trimmed.split(/\s+/).length : 0;
}

function checkWordLimit(input) {
  const limit = Number(input.dataset.wordLimit || 0);
  const note = document.getElementById(`over-limit-${input.dataset.questionId}`);
  if (!note) return;
  const words = countWords(input.value);
  const over = limit > 0 && words > limit;
  note.hidden = !over;
  note.textContent = over
    ? `You have written ${words} words. The answer must be no more than ${NUMBER_WORDS[limit] || limit} ${limit === 1 ? "word" : "words"}.`
    : "";
}

function toggleFlag(id) {
  if (!acceptingInput()) return;
  const key = String(id);
  const flagged = !page.state.flags.has(key);
  if (flagged) page.state.flags.add(key);
  else page.state.flags.delete(key);
  renderFlags();
  renderNavigator();
  const q = questionById(id);
  queue("question_flagged", { question_id: q ? q.id : id, flagged });
  announce(`Question ${q ? q.number : ""} ${flagged ? "flagged for review" : "no longer flagged"}.`);
}

function highlightSelection(passageEl) {
  if (!acceptingInput() || !passageEl) return false;
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return false;
  const passage = passageById(passageEl.dataset.passageId);
  const offsets = selectionOffsets(passageEl, selection.getRangeAt(0));
  if (!passage || !offsets) return false;
  const text = passage.text;
  const data = {
    passage_id: passage.id,
    text: text.slice(offsets.start, offsets.end),
    position_start: utf16ToCodePoints(text, offsets.start),
    position_end: utf16ToCodePoints(text, offsets.end),
  };
  const entry = outbox.add("text_highlighted", data);
  page.state.highlights.push({
    key: `e:${entry.event_id}`,
    id: null,
    eventId: entry.event_id,
    passageId: String(passage.id),
    text: data.text,
    start: data.position_start,
    end: data.position_end,
    pending: true,
  });
  selection.removeAllRanges();
  renderHighlights(passage.id);
  flush();
  return true;
}

function removeHighlight(key) {
  if (!acceptingInput()) return;
  const highlight = page.state.highlights.find((h) => h.key === key);
  if (!highlight) return;
  page.state.highlights = page.state.highlights.filter((h) => h !== highlight);
  renderHighlights(highlight.passageId);
  if (highlight.id != null) queue("highlight_removed", { highlight_id: highlight.id });
  else queue("highlight_removed", { ref: highlight.eventId });
  announce("Highlight removed.");
}

function violation(type) {
  if (page.phase !== "test") return;
  queue("tab_violation", { violation_type: type });
}

function openSubmitDialog() {
  if (!acceptingInput()) return;
  commitTextInputs();
  const unanswered = questions().filter((q) => !isAnswered(q.id)).map((q) => q.number);
  const flagged = questions().filter((q) => page.state.flags.has(String(q.id))).map((q) => q.number);
  const total = questions().length;
  $("#submit-summary").textContent = `You have answered ${total - unanswered.length} of ${total} questions.`;
  const list = (el, title, numbers) => {
    el.replaceChildren();
    if (!numbers.length) return;
    const strong = document.createElement("strong");
    strong.textContent = title;
    const span = document.createElement("span");
    span.textContent = numbers.join(", ");
    el.append(strong, span);
  };
  list($("#submit-unanswered"), `Unanswered (${unanswered.length}):`, unanswered);
  list($("#submit-flagged"), `Flagged for review (${flagged.length}):`, flagged);
  $("#submit-dialog").showModal();
}

function confirmSubmit() {
  $("#submit-dialog").close();
  if (!acceptingInput()) return;
  commitTextInputs();
  page.phase = "submitting";
  lockInputs();
  queue("submit_attempt", {});
  updateConnectionUi();
}

// ------------------------------------------------------------------ wiring

function bindTestUi() {
  if (page.uiBound || !$("#test-screen")) return;
  page.uiBound = true;

  for (const passage of config.passages) {
    const el = document.getElementById(`passage-text-${passage.id}`);
    if (el && el.textContent !== passage.text) el.textContent = passage.text; // offsets count over exactly this text
  }

  const tablist = $(".part-tabs");
  tablist.addEventListener("click", (event) => {
    const tab = event.target.closest(".part-tab");
    if (tab) showPassage(Number(tab.dataset.passageIndex), { send: true });
  });
  tablist.addEventListener("keydown", (event) => {
    const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const count = config.passages.length;
    let index = page.current.passageIndex + moves[event.key];
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") index = (index + count) % count;
    showPassage(Math.max(0, Math.min(count - 1, index)), { send: true });
    $(`#tab-${page.current.passageIndex}`).focus();
  });

  const sheet = $("#answer-sheet");
  sheet.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.dataset || !input.dataset.questionId) return;
    if (!acceptingInput()) {
      renderAnswers();
      return;
    }
    answer(input.dataset.questionId, input.value);
    commitAnswer(input.dataset.questionId, input.value);
  });
  sheet.addEventListener("input", (event) => {
    const input = event.target;
    if (!input.classList.contains("text-answer") || !acceptingInput()) return;
    const key = String(input.dataset.questionId);
    answer(key, input.value);
    checkWordLimit(input);
    clearTimeout(page.textTimers.get(key));
    page.textTimers.set(
      key,
      setTimeout(() => commitAnswer(key, input.value), TEXT_DEBOUNCE_MS),
    );
  });
  sheet.addEventListener("focusout", (event) => {
    const input = event.target;
    if (input.classList && input.classList.contains("text-answer") && page.textTimers.has(String(input.dataset.questionId))) {
      commitAnswer(input.dataset.questionId, input.value);
    }
  });
  sheet.addEventListener("focusin", (event) => {
    const question = event.target.closest(".question");
    if (question) setCurrent(question.dataset.questionId, { send: true });
  });
  sheet.addEventListener("click", (event) => {
    const flag = event.target.closest(".flag-button");
    if (flag) toggleFlag(flag.dataset.questionId);
    const mark = event.target.closest(".passage-text mark");
    if (mark && !page.justHighlighted) removeHighlight(mark.dataset.key);
  });
  sheet.addEventListener("keydown", (event) => {
    const mark = event.target.closest && event.target.closest(".passage-text mark");
    if (mark && ["Enter", " ", "Delete", "Backspace"].includes(event.key)) {
      event.preventDefault();
      removeHighlight(mark.dataset.key);
    }
  });
  for (const button of $$(".hl-button")) {
    button.addEventListener("mousedown", (event) => event.preventDefault()); // keep the selection
    button.addEventListener("click", () => {
      if (!highlightSelection(document.getElementById(`passage-text-${button.dataset.passageId}`))) {
        announce("Select some words in the passage first.");
      }
    });
  }
  document.addEventListener("mouseup", () => {
    const el = $(".part:not([hidden]) .passage-text");
    const selection = window.getSelection();
    if (!el || !selection || selection.isCollapsed || selection.rangeCount === 0) return;
    if (!selection.getRangeAt(0).intersectsNode(el)) return;
    if (highlightSelection(el)) {
      page.justHighlighted = true;
      setTimeout(() => {
        page.justHighlighted = false;
      }, 0);
    }
  });

  $(".navigator").addEventListener("click", (event) => {
    const button = event.target.closest(".nav-q");
    if (button) goToQuestion(button.dataset.questionId);
  });
  $("#prev-question").addEventListener("click", () => {
    const q = questionById(page.current.questionId);
    const previous = q && questionByNumber(q.number - 1);
    if (previous) goToQuestion(previous.id);
  });
  $("#next-question").addEventListener("click", () => {
    const q = questionById(page.current.questionId);
    const next = q ? questionByNumber(q.number + 1) : questions()[0];
    if (next) goToQuestion(next.id);
  });
  $("#submit-open").addEventListener("click", openSubmitDialog);
  $("#submit-cancel").addEventListener("click", () => $("#submit-dialog").close());
  $("#submit-confirm").addEventListener("click", confirmSubmit);

  if (!page.current.questionId && questions().length) setCurrent(questions()[0].id, { send: false });
  showPassage(page.current.passageIndex);
  renderAll();
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") {
    page.lastHiddenAt = Date.now();
    violation("TAB_SWITCH");
  } else if (page.phase === "test" && page.lastHiddenAt) {
    setBanner("left-page", "You left the test page. Your teacher has been told.", "info");
    setTimeout(() => page.banner.key === "left-page" && setBanner("", ""), 6000);
  }
});
window.addEventListener("blur", () => {
  // Switching tabs blurs the window too: report that once, as a tab switch.
  setTimeout(() => {
    if (document.visibilityState === "hidden" || Date.now() - page.lastHiddenAt < 1000) return;
    violation("WINDOW_BLUR");
  }, 200);
});
// Copying within the paper (a word of the passage into an answer box) is part of the real computer test;
// pasting text that was not copied from this page is reported, as a teacher would want to know.
function selectedText(target) {
  if (target && typeof target.selectionStart === "number" && typeof target.value === "string") {
    return target.value.slice(target.selectionStart, target.selectionEnd);
  }
  return String(document.getSelection() || "");
}
const normalized = (text) => text.replace(/\s+/g, " ").trim();
for (const type of ["copy", "cut"]) {
  document.addEventListener(type, (event) => {
    page.copiedHere = normalized(selectedText(event.target));
  });
}
document.addEventListener("paste", (event) => {
  const pasted = normalized((event.clipboardData && event.clipboardData.getData("text")) || "");
  if (pasted && pasted !== page.copiedHere) violation("PASTE");
});
window.addEventListener("pagehide", () => commitTextInputs());

// ------------------------------------------------------------------ start

function start() {
  countdown.sync(config.ends_at, config.server_now);
  const attempt = config.attempt;
  const over =
    config.status === "COMPLETED" ||
    config.status === "CANCELLED" ||
    (attempt && attempt.status !== "IN_PROGRESS");
  if (over) {
    // The server rendered the finished screen. Anything still on this device can no longer count:
    // say so once, then forget it.
    page.phase = "finished";
    showLost(outbox.workSize);
    outbox.clear();
    showScreen("finished");
    updateConnectionUi();
    return;
  }
  if (config.status === "IN_PROGRESS" && page.paperLoaded && attempt) {
    page.state = mergeState(attempt, outbox.pending());
    rememberCommitted();
    bindTestUi();
    renderAll();
    restorePositionOnce();
    enterTest();
  } else if (config.status === "SCHEDULED") {
    setPhase("not-open");
  } else if (config.status === "WAITING_FOR_STUDENTS") {
    setPhase("waiting");
  } else {
    setPhase("connecting");
  }
  socket.start();
}

start();
window.ieltsTestPage = { page, outbox, socket, countdown }; // for the browser tests and for support staff
