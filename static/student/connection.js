// The test page's connection: the outbox on the wire (events sent in order, at most MAX_IN_FLIGHT
// unacknowledged) and what the server says back. An event leaves the outbox only when the server
// acknowledges its event_id.

import { LiveSocket, socketUrl } from "../common/socket.js";
import { commitTextInputs, rememberCommitted, renderHighlights } from "./answers.js";
import { config, page, questionById, TEST_PHASES } from "./context.js";
import { restorePositionOnce } from "./navigator.js";
import { Outbox, outboxKey, replacementKey, wireMessage } from "./outbox.js";
import { countdown, ensurePaper, enterTest, renderAll } from "./phases.js";
import { setBanner, setPhase, updateConnectionUi } from "./screens.js";
import { mergeState } from "./state.js";
import { checkSessionOverRest, closed, finish, wrongUser } from "./submit.js";

const MAX_IN_FLIGHT = 100;
const SOCKET_TIMINGS = { heartbeatMs: 10000, silenceLimitMs: 25000, backoffBaseMs: 500, backoffCapMs: 10000 };
const CLOSED_ERRORS = new Set(["time_up", "attempt_closed", "already_submitted", "not_in_progress", "session_not_in_progress"]);
// Worth sending again later: the server was busy, failed for a moment, or raced a copy of the same event
// (a resend is then acknowledged as a duplicate, with the highlight id where there is one).
const RETRY_ERRORS = new Set(["rate_limited", "server_error", "duplicate_event"]);

export const outbox = new Outbox(outboxKey(config.session_id, config.user_id));
outbox.onChange(() => updateConnectionUi());

export const socket = new LiveSocket(
  socketUrl(config.ws_path),
  {
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
  },
  SOCKET_TIMINGS,
);

// ------------------------------------------------------------------ the outbox on the wire

export function queue(type, data, extra) {
  const entry = outbox.add(type, data, extra);
  flush();
  return entry;
}

export function flush() {
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

export function requestSync() {
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
