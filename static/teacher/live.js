// The live monitor: controls, the shared countdown, one card per student and an event feed.
//
// The board changes only from WebSocket events. On every (re)connect it reloads a snapshot
// from the REST API, and events that arrive meanwhile are replayed on top, so it is never stale.
// DOM writes are batched into one animation frame, and only the cards that changed are touched.

import { api, ApiError } from "./api.js";

const config = JSON.parse(document.getElementById("live-config").textContent);
const $ = (selector, root = document) => root.querySelector(selector);

const FEED_LIMIT = 150;
const HEARTBEAT_MS = 15000;
const SILENCE_LIMIT_MS = 40000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 5000;
const ATTEMPT_FETCH_CONCURRENCY = 6;

const STATUS_LABELS = {
  SCHEDULED: "Scheduled",
  WAITING_FOR_STUDENTS: "Waiting for students",
  IN_PROGRESS: "In progress",
  COMPLETED: "Completed",
  CANCELLED: "Cancelled",
};
// The contract's transitions, as the buttons see them.
const ACTIONS = {
  "start-waiting": { allowed: ["SCHEDULED"], done: "The waiting room is open." },
  start: { allowed: ["WAITING_FOR_STUDENTS"], done: "The test has started." },
  complete: { allowed: ["IN_PROGRESS"], done: "The session is completed." },
  cancel: { allowed: ["SCHEDULED", "WAITING_FOR_STUDENTS"], done: "The session is cancelled." },
};
const VIOLATION_LABELS = {
  TAB_SWITCH: "switched tab",
  WINDOW_BLUR: "left the window",
  FULLSCREEN_EXIT: "left full screen",
  COPY: "copied text",
  PASTE: "pasted text",
};

// ---------------------------------------------------------------- state

const state = {
  session: { id: config.sessionId, status: document.getElementById("session-status").dataset.status, ends_at: null },
  counts: { participants: null, connected: null, submitted: null, violations_total: null },
  students: new Map(), // String(student_id) -> student
  clockOffsetMs: 0, // server clock minus local clock
  busy: false,
};

const key = (id) => String(id);

function blankStudent(id, name) {
  return {
    id,
    name: name || `Student ${id}`,
    attemptId: null,
    connected: false,
    attemptStatus: null,
    answered: 0,
    flagged: new Set(),
    violations: 0,
    highlights: new Map(), // String(highlight_id) -> text, in the order they were made
    passageIndex: null,
    questionIndex: null,
    score: null,
    band: null,
    flash: false,
  };
}

function studentFor(id, name) {
  let student = state.students.get(key(id));
  if (!student) {
    student = blankStudent(id, name);
    state.students.set(key(id), student);
    scheduleBoardOrder();
  } else if (name && student.name !== name) {
    student.name = name;
  }
  return student;
}

function syncClock(serverNow, localMs = Date.now()) {
  const server = Date.parse(serverNow);
  if (!Number.isNaN(server)) state.clockOffsetMs = server - localMs;
}

// ---------------------------------------------------------------- batched rendering

const dirty = new Set();
const pendingFeed = [];
let frameRequested = false;
let orderDirty = true;
let headerDirty = true;

function requestFrame() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(flush);
}

function markStudent(student) {
  dirty.add(key(student.id));
  requestFrame();
}

function markHeader() {
  headerDirty = true;
  requestFrame();
}

function scheduleBoardOrder() {
  orderDirty = true;
  requestFrame();
}

const board = document.getElementById("board");
const cardTemplate = document.getElementById("card-template");
const cards = new Map(); // String(student_id) -> {root, parts}

function createCard(student) {
  const root = cardTemplate.content.firstElementChild.cloneNode(true);
  root.dataset.studentId = key(student.id);
  const parts = {
    dot: $(".dot", root),
    name: $(".name", root),
    status: $(".attempt-status", root),
    bar: $(".bar", root),
    fill: $(".fill", root),
    answered: $(".answered", root),
    position: $(".position", root),
    flagged: $(".flagged", root),
    violations: $(".violations", root),
    highlight: $(".highlight", root),
  };
  parts.bar.setAttribute("aria-valuemax", String(config.questionCount));
  root.addEventListener("animationend", () => root.classList.remove("flash"));
  const card = { root, parts, last: {} };
  cards.set(key(student.id), card);
  return card;
}

/** Write a value only when it changed, so an event touches only what it changed. */
function put(card, field, value, write) {
  if (card.last[field] === value) return;
  card.last[field] = value;
  write(value);
}

function statusText(student) {
  switch (student.attemptStatus) {
    case "SUBMITTED":
      return student.score === null || student.score === undefined
        ? "Submitted"
        : `✓ ${student.score}/${config.questionCount} · ${formatBand(student.band)}`;
    case "ABANDONED":
      return "Abandoned";
    case "IN_PROGRESS":
      return student.connected ? "Working" : "Working (offline)";
    default:
      return student.connected ? "Waiting" : "Absent";
  }
}

function formatBand(band) {
  const value = Number(band);
  return Number.isFinite(value) ? value.toFixed(1) : "–";
}

function lastHighlight(student) {
  let text = null;
  for (const value of student.highlights.values()) text = value;
  return text;
}

function renderCard(student) {
  const card = cards.get(key(student.id)) || createCard(student);
  const { parts, root } = card;
  put(card, "connected", student.connected, (connected) => {
    parts.dot.dataset.state = connected ? "connected" : "disconnected";
    parts.dot.setAttribute("aria-label", connected ? "connected" : "disconnected");
    parts.dot.title = connected ? "Connected" : "Disconnected";
    root.classList.toggle("offline", !connected);
  });
  put(card, "name", student.name, (name) => {
    parts.name.textContent = name;
  });
  put(card, "attempt", student.attemptId, (attemptId) => {
    if (attemptId === null || attemptId === undefined) {
      parts.name.removeAttribute("href");
      parts.name.title = "No attempt yet";
    } else {
      parts.name.href = config.timelineUrl.replace("{id}", encodeURIComponent(attemptId));
      parts.name.title = "Open this student's timeline";
    }
  });
  put(card, "status", statusText(student), (text) => {
    parts.status.textContent = text;
    parts.status.title =
      student.attemptStatus === "SUBMITTED" && student.score !== null && student.score !== undefined
        ? `Submitted: ${student.score} of ${config.questionCount} correct, band ${formatBand(student.band)}`
        : text;
  });
  put(card, "attemptStatus", student.attemptStatus || "NONE", (value) => {
    root.dataset.attemptStatus = value;
  });
  put(card, "answered", student.answered, (answered) => {
    const total = config.questionCount || 1;
    parts.answered.textContent = `${answered}/${config.questionCount}`;
    parts.fill.style.width = `${Math.min(100, (100 * answered) / total)}%`;
    parts.bar.setAttribute("aria-valuenow", String(answered));
    parts.bar.setAttribute("aria-label", `${answered} of ${config.questionCount} answered`);
  });
  const position =
    student.passageIndex === null || student.passageIndex === undefined
      ? "–"
      : `P${student.passageIndex + 1} · Q${student.questionIndex + 1}`;
  put(card, "position", position, (text) => {
    parts.position.textContent = text;
  });
  put(card, "flagged", student.flagged.size, (count) => {
    parts.flagged.textContent = String(count);
    parts.flagged.classList.toggle("some", count > 0);
  });
  put(card, "violations", student.violations, (count) => {
    parts.violations.textContent = String(count);
    parts.violations.classList.toggle("some", count > 0);
  });
  if (student.flash) {
    student.flash = false;
    root.classList.remove("flash");
    void root.offsetWidth; // restart the animation
    root.classList.add("flash");
  }
  put(card, "highlight", lastHighlight(student), (text) => {
    parts.highlight.replaceChildren();
    if (text === null) {
      const none = document.createElement("span");
      none.className = "muted";
      none.textContent = "No highlight";
      parts.highlight.append(none);
    } else {
      const quote = document.createElement("q");
      quote.textContent = text.length > 80 ? `${text.slice(0, 79)}…` : text;
      quote.title = text;
      parts.highlight.append(quote);
    }
  });
  return card;
}

function orderBoard() {
  const sorted = [...state.students.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || key(a.id).localeCompare(key(b.id)),
  );
  const wanted = sorted.map((student) => renderCard(student).root);
  for (const [id, card] of cards) {
    if (!state.students.has(id)) {
      card.root.remove();
      cards.delete(id);
    }
  }
  const current = [...board.children];
  if (current.length !== wanted.length || current.some((node, i) => node !== wanted[i])) {
    board.replaceChildren(...wanted);
  }
  document.getElementById("board-empty").hidden = wanted.length > 0;
}

function renderHeader() {
  const status = state.session.status;
  const badge = document.getElementById("session-status");
  badge.textContent = STATUS_LABELS[status] || status;
  badge.dataset.status = status;
  badge.className = `badge status-${String(status).toLowerCase()}`;
  for (const [name, value] of Object.entries(state.counts)) {
    const id = name === "violations_total" ? "count-violations" : `count-${name}`;
    document.getElementById(id).textContent = value === null || value === undefined ? "–" : String(value);
  }
  for (const button of document.querySelectorAll(".controls [data-action]")) {
    button.disabled = state.busy || !ACTIONS[button.dataset.action].allowed.includes(status);
  }
  document.getElementById("results-link").hidden = status !== "COMPLETED";
  const hint = document.getElementById("control-hint");
  if (status === "WAITING_FOR_STUDENTS") {
    hint.textContent = state.counts.connected
      ? `${state.counts.connected} student${state.counts.connected === 1 ? "" : "s"} ready.`
      : "No student is connected yet.";
  } else {
    hint.textContent = "";
  }
  tick();
}

function flush() {
  frameRequested = false;
  if (orderDirty) {
    orderDirty = false;
    orderBoard();
  }
  for (const id of dirty) {
    const student = state.students.get(id);
    if (student) renderCard(student);
  }
  dirty.clear();
  if (headerDirty) {
    headerDirty = false;
    renderHeader();
  }
  if (pendingFeed.length) {
    const feed = document.getElementById("feed");
    const fragment = document.createDocumentFragment();
    for (const item of pendingFeed.splice(0).reverse()) fragment.append(item);
    feed.prepend(fragment);
    while (feed.children.length > FEED_LIMIT) feed.lastElementChild.remove();
  }
}

// ---------------------------------------------------------------- countdown (the server's clock)

const countdown = document.getElementById("countdown");

function formatRemaining(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const mm = String(minutes).padStart(2, "0");
  const ss = String(seconds).padStart(2, "0");
  return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

function tick() {
  const { status, ends_at: endsAt } = state.session;
  let text;
  let level = "idle";
  if (status === "IN_PROGRESS" && endsAt) {
    const remaining = Date.parse(endsAt) - (Date.now() + state.clockOffsetMs);
    text = remaining > 0 ? formatRemaining(remaining) : "Time up";
    level = "";
    if (remaining <= 5 * 60 * 1000) level = "last5";
    else if (remaining <= 10 * 60 * 1000) level = "last10";
  } else {
    text = { SCHEDULED: "Not started", WAITING_FOR_STUDENTS: "Not started", COMPLETED: "Finished", CANCELLED: "Cancelled" }[
      status
    ] || "--:--";
  }
  if (countdown.textContent !== text) countdown.textContent = text;
  if ((countdown.dataset.level || "") !== level) countdown.dataset.level = level;
}
setInterval(tick, 250);

// ---------------------------------------------------------------- the event feed

function feedItem(kind, text, { studentId = null, timestamp = null, minor = false } = {}) {
  const item = document.createElement("li");
  item.className = `feed-item kind-${kind}${minor ? " minor" : ""}`;
  item.dataset.kind = kind;
  if (studentId !== null) item.dataset.studentId = key(studentId);
  const time = document.createElement("time");
  const moment = timestamp ? new Date(timestamp) : new Date(Date.now() + state.clockOffsetMs);
  time.dateTime = moment.toISOString();
  time.textContent = moment.toLocaleTimeString(undefined, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
  const body = document.createElement("span");
  body.textContent = text;
  item.append(time, " ", body);
  pendingFeed.push(item);
  // A hidden tab runs no animation frames: keep only what the feed could show.
  if (pendingFeed.length > FEED_LIMIT) pendingFeed.splice(0, pendingFeed.length - FEED_LIMIT);
  requestFrame();
}

const nameOf = (message) => state.students.get(key(message.student_id))?.name || message.student_name || `Student ${message.student_id}`;
const questionLabel = (questionId) => {
  const number = config.questionNumbers[key(questionId)];
  return number ? `Q${number}` : "a question";
};

// ---------------------------------------------------------------- applying events

function applyLifecycle(message) {
  if (message.status) state.session.status = message.status;
  if (message.server_now) syncClock(message.server_now);
  markHeader();
}

const handlers = {
  connected(message) {
    if (message.server_now) syncClock(message.server_now);
  },
  pong(message) {
    if (message.server_now) syncClock(message.server_now);
  },
  waiting_room_opened(message, replay) {
    state.session.status = "WAITING_FOR_STUDENTS";
    markHeader();
    if (!replay) feedItem("session", "The waiting room is open.", { timestamp: message.timestamp });
  },
  session_started(message, replay) {
    state.session.status = "IN_PROGRESS";
    state.session.started_at = message.started_at;
    state.session.ends_at = message.ends_at;
    if (message.server_now) syncClock(message.server_now);
    for (const id of message.connected_students || []) {
      const student = studentFor(id);
      if (!student.attemptStatus) student.attemptStatus = "IN_PROGRESS";
      markStudent(student);
    }
    markHeader();
    if (!replay) {
      feedItem("session", `The test started for ${(message.connected_students || []).length} student(s).`, {
        timestamp: message.timestamp,
      });
      refreshSoon(); // attempt ids for the timeline links
    }
  },
  session_completed(message, replay) {
    state.session.status = "COMPLETED";
    state.session.completed_at = message.completed_at;
    markHeader();
    if (!replay) {
      const why = message.reason === "TIME_UP" ? "time is up" : "ended by the teacher";
      feedItem("session", `The session is completed (${why}).`, { timestamp: message.timestamp });
      refreshSoon(); // final scores
    }
  },
  session_cancelled(message, replay) {
    state.session.status = "CANCELLED";
    markHeader();
    if (!replay) feedItem("session", "The session is cancelled.", { timestamp: message.timestamp });
  },
  session_status_changed: applyLifecycle,
  real_time_stats(message) {
    for (const name of ["participants", "connected", "submitted", "violations_total"]) {
      if (message[name] !== undefined) state.counts[name] = message[name];
    }
    markHeader();
  },
  participant_joined(message, replay) {
    const student = studentFor(message.student_id, message.student_name);
    student.connected = true;
    if (message.connected_count !== undefined) state.counts.connected = message.connected_count;
    markStudent(student);
    markHeader();
    if (!replay) feedItem("joined", `${student.name} connected.`, { studentId: student.id, timestamp: message.timestamp });
  },
  participant_disconnected(message, replay) {
    const student = studentFor(message.student_id, message.student_name);
    student.connected = false;
    if (message.connected_count !== undefined) state.counts.connected = message.connected_count;
    markStudent(student);
    markHeader();
    if (!replay) {
      feedItem("left", `${student.name} disconnected.`, { studentId: student.id, timestamp: message.timestamp });
    }
  },
  answer_submitted(message, replay) {
    const student = studentFor(message.student_id);
    takeAttempt(student, message);
    if (message.answered_count !== undefined) student.answered = message.answered_count;
    markStudent(student);
    if (!replay) {
      const cleared = !String(message.answer ?? "").trim();
      feedItem("answer", `${student.name} ${cleared ? "cleared" : "answered"} ${questionLabel(message.question_id)}.`, {
        studentId: student.id,
        timestamp: message.timestamp,
        minor: true,
      });
    }
  },
  tab_violation(message, replay) {
    const student = studentFor(message.student_id);
    takeAttempt(student, message);
    const before = student.violations;
    student.violations = message.violations_count ?? student.violations + 1;
    if (!replay && student.violations > before) student.flash = true;
    markStudent(student);
    if (!replay) {
      const what = VIOLATION_LABELS[message.violation_type] || String(message.violation_type).toLowerCase();
      feedItem("violation", `${student.name} ${what}.`, { studentId: student.id, timestamp: message.timestamp });
    }
  },
  text_highlighted(message, replay) {
    const student = studentFor(message.student_id);
    takeAttempt(student, message);
    student.highlights.delete(key(message.highlight_id));
    student.highlights.set(key(message.highlight_id), message.text);
    markStudent(student);
    if (!replay) {
      feedItem("highlight", `${student.name} highlighted “${truncate(message.text, 60)}”.`, {
        studentId: student.id,
        timestamp: message.timestamp,
        minor: true,
      });
    }
  },
  highlight_removed(message, replay) {
    const student = studentFor(message.student_id);
    takeAttempt(student, message);
    student.highlights.delete(key(message.highlight_id));
    markStudent(student);
    if (!replay) {
      feedItem("highlight", `${student.name} removed a highlight.`, {
        studentId: student.id,
        timestamp: message.timestamp,
        minor: true,
      });
    }
  },
  question_flagged(message, replay) {
    const student = studentFor(message.student_id);
    takeAttempt(student, message);
    if (message.flagged) student.flagged.add(key(message.question_id));
    else student.flagged.delete(key(message.question_id));
    markStudent(student);
    if (!replay) {
      const label = questionLabel(message.question_id);
      feedItem("flag", `${student.name} ${message.flagged ? "flagged" : "unflagged"} ${label}.`, {
        studentId: student.id,
        timestamp: message.timestamp,
        minor: true,
      });
    }
  },
  progress_update(message) {
    const student = studentFor(message.student_id);
    takeAttempt(student, message);
    student.passageIndex = message.passage_index;
    student.questionIndex = message.question_index;
    markStudent(student);
  },
  attempt_submitted(message, replay) {
    const student = studentFor(message.student_id);
    takeAttempt(student, message);
    student.attemptStatus = "SUBMITTED";
    student.score = message.score;
    student.band = message.band;
    markStudent(student);
    if (!replay) {
      feedItem("submitted", `${student.name} submitted: ${message.score}/${config.questionCount}, band ${formatBand(message.band)}.`, {
        studentId: student.id,
        timestamp: message.timestamp,
      });
    }
  },
  error(message) {
    console.warn("live monitor: server error", message);
  },
};

function takeAttempt(student, message) {
  if (message.attempt_id !== undefined && message.attempt_id !== null) student.attemptId = message.attempt_id;
  if (!student.attemptStatus) student.attemptStatus = "IN_PROGRESS";
}

function truncate(text, length) {
  const value = String(text ?? "");
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}

let replayBuffer = null; // events received while a snapshot is loading

const counters = { messages: 0, opened: 0 };

function handleMessage(message) {
  counters.messages += 1;
  const handler = handlers[message.type];
  if (!handler) return; // the contract: ignore types we do not know
  if (replayBuffer) replayBuffer.push(message);
  handler(message, false);
}

// ---------------------------------------------------------------- the REST snapshot

async function mapLimited(items, limit, worker) {
  const results = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index]).catch(() => null);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return results;
}

let refreshing = null;
let refreshAgain = false;

/** Reload the whole board from the API; events that arrive meanwhile are replayed on top. */
function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      do {
        refreshAgain = false;
        await loadSnapshot();
      } while (refreshAgain);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), 300);
}

async function loadSnapshot() {
  const buffer = [];
  replayBuffer = buffer;
  try {
    const sent = Date.now();
    const [session, stats] = await Promise.all([api(config.apiBase), api(`${config.apiBase}/stats`)]);
    const received = Date.now();
    const attempts = await mapLimited(
      (stats.students || []).filter((s) => s.attempt_id !== null && s.attempt_id !== undefined),
      ATTEMPT_FETCH_CONCURRENCY,
      (s) => api(`${config.attemptApiBase}${encodeURIComponent(s.attempt_id)}`),
    );
    if (replayBuffer !== buffer) return; // a newer snapshot took over
    syncClock(session.server_now, (sent + received) / 2);
    state.session = { ...state.session, ...session };
    state.counts = {
      participants: stats.participants,
      connected: stats.connected,
      submitted: stats.submitted,
      violations_total: stats.violations_total,
    };
    const byAttempt = new Map(attempts.filter(Boolean).map((a) => [key(a.id), a]));
    const next = new Map();
    const participants = new Map((session.participants || []).map((p) => [key(p.student_id), p]));
    for (const row of stats.students || []) {
      const old = state.students.get(key(row.student_id));
      const student = blankStudent(row.student_id, row.student_name);
      const participant = participants.get(key(row.student_id));
      student.connected = participant ? participant.connection_status === "CONNECTED" : false;
      student.attemptId = row.attempt_id ?? participant?.attempt_id ?? null;
      student.attemptStatus = row.status;
      student.answered = row.answered ?? 0;
      student.violations = row.violations ?? 0;
      student.score = row.score;
      student.band = row.band;
      student.passageIndex = row.status ? row.current_passage_index : null;
      student.questionIndex = row.status ? row.current_question_index : null;
      const attempt = student.attemptId !== null ? byAttempt.get(key(student.attemptId)) : null;
      if (attempt) {
        student.flagged = new Set((attempt.flagged_question_ids || []).map(key));
        const highlights = [...(attempt.highlights || [])].sort(
          (a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp) || Number(a.id) - Number(b.id),
        );
        student.highlights = new Map(highlights.map((h) => [key(h.id), h.text]));
      } else if (old) {
        student.flagged = old.flagged;
        student.highlights = old.highlights;
      }
      next.set(key(row.student_id), student);
    }
    state.students = next;
    for (const message of buffer) handlers[message.type](message, true);
    for (const student of state.students.values()) markStudent(student);
    scheduleBoardOrder();
    markHeader();
  } finally {
    if (replayBuffer === buffer) replayBuffer = null;
  }
}

// ---------------------------------------------------------------- the WebSocket, with backoff

const linkState = document.getElementById("link-state");
let socket = null;
let attempt = 0;
let reconnectTimer = null;
let heartbeatTimer = null;
let lastHeard = 0;
let stopped = false;
let opening = false; // a connect() is between its ticket request and its socket

function showLink(stateName, text) {
  linkState.dataset.state = stateName;
  linkState.textContent = text;
}

async function wsUrl() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const base = `${scheme}://${location.host}${config.wsPath}`;
  try {
    const { ticket } = await api(`${config.apiBase}/ws-ticket`, { method: "POST" });
    if (ticket) return `${base}?ticket=${encodeURIComponent(ticket)}`;
  } catch (error) {
    // Offline: no point trying the socket. Not signed in any more: nor then.
    if (error instanceof ApiError && (error.status === 0 || error.status === 401)) throw error;
  }
  return base; // the session cookie alone
}

async function connect() {
  clearTimeout(reconnectTimer);
  reconnectTimer = null;
  if (stopped || opening || (socket && socket.readyState <= WebSocket.OPEN)) return;
  showLink("connecting", attempt ? "Reconnecting…" : "Connecting…");
  let url;
  opening = true;
  try {
    url = await wsUrl();
  } catch (error) {
    if (!loggedOut(error)) scheduleReconnect();
    return;
  } finally {
    opening = false;
  }
  const ws = new WebSocket(url);
  socket = ws;
  ws.addEventListener("open", () => {
    if (socket !== ws) return;
    attempt = 0;
    counters.opened += 1;
    lastHeard = Date.now();
    showLink("live", "Live");
    startHeartbeat();
    refresh().catch((error) => {
      if (!loggedOut(error)) ws.close(4000, "snapshot failed");
    });
  });
  ws.addEventListener("message", (event) => {
    if (socket !== ws) return;
    lastHeard = Date.now();
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message && typeof message.type === "string") handleMessage(message);
  });
  ws.addEventListener("close", () => {
    if (socket !== ws) return;
    socket = null;
    stopHeartbeat();
    scheduleReconnect();
  });
}

function scheduleReconnect() {
  if (stopped || reconnectTimer) return;
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
  const delay = Math.round(base / 2 + (Math.random() * base) / 2);
  attempt += 1;
  showLink("offline", navigator.onLine === false ? "Offline" : `Reconnecting in ${Math.ceil(delay / 1000)} s…`);
  reconnectTimer = setTimeout(connect, delay);
}

function startHeartbeat() {
  stopHeartbeat();
  heartbeatTimer = setInterval(() => {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastHeard > SILENCE_LIMIT_MS) {
      socket.close(4001, "silent");
      return;
    }
    socket.send(JSON.stringify({ type: "heartbeat" }));
  }, HEARTBEAT_MS);
}

function stopHeartbeat() {
  clearInterval(heartbeatTimer);
  heartbeatTimer = null;
}

window.addEventListener("offline", () => {
  showLink("offline", "Offline");
  if (socket) socket.close(4002, "offline");
});
window.addEventListener("online", () => {
  attempt = 0;
  connect();
});

/** A 401/403 from the API: the login has ended (or access was withdrawn); stop and say so. */
function loggedOut(error) {
  if (!(error instanceof ApiError) || (error.status !== 401 && error.status !== 403)) return false;
  stopped = true;
  clearTimeout(reconnectTimer);
  if (socket) socket.close(1000, "logged out");
  showLink("offline", "Signed out");
  errorBox.replaceChildren(
    "You are no longer signed in, so the monitor has stopped. ",
    Object.assign(document.createElement("a"), {
      href: `/accounts/login/?next=${encodeURIComponent(location.pathname)}`,
      textContent: "Log in again",
    }),
  );
  errorBox.hidden = false;
  return true;
}

// ---------------------------------------------------------------- controls

const errorBox = document.getElementById("action-error");

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = !text;
}

async function runAction(action, button) {
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  showError("");
  state.busy = true;
  markHeader();
  try {
    const session = await api(`${config.apiBase}/${action}`, { method: "POST" });
    if (session && session.status) {
      state.session = { ...state.session, ...session };
      if (session.server_now) syncClock(session.server_now);
    }
    feedItem("session", ACTIONS[action].done);
  } catch (error) {
    const detail = error instanceof ApiError ? error.detail : String(error);
    showError(error.status === 409 ? `Not possible now: ${detail}` : detail);
    refresh().catch(() => {});
  } finally {
    state.busy = false;
    markHeader();
  }
}

for (const button of document.querySelectorAll(".controls [data-action]")) {
  button.addEventListener("click", () => runAction(button.dataset.action, button));
}

// ---------------------------------------------------------------- start

window.liveMonitor = {
  state,
  counters,
  refresh,
  get socket() {
    return socket;
  },
  /** Close the socket as a network drop would (the monitor reconnects by itself). */
  drop() {
    if (socket) socket.close(4003, "dropped");
  },
  stop() {
    stopped = true;
    if (socket) socket.close(1000, "bye");
  },
};

markHeader();
refresh().catch(loggedOut);
connect();
