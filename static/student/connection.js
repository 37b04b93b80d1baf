// The test page's connection: the outbox on the wire (events sent in order, at most MAX_IN_FLIGHT
// unacknowledged) and what the server says back. An event leaves the outbox only when the server
// acknowledges its event_id.

import { LiveSocket, socketUrl } from "../common/socket.js";
import { commitTextInputs, rememberCommitted, renderHighlights } from "./answers.js";
import { config, page, questionById, RUNNING_STATUSES, TEST_PHASES } from "./context.js";
import { attemptReopened, backFromTimeUp, leaveFinished, leftAtPause, pauseTest, resumeTest, timeExtended } from "./controls.js";
import { setAudioStart } from "./listening.js";
import { loadMessages, receiveMessage } from "./messages.js";
import { restorePositionOnce } from "./navigator.js";
import { Outbox, outboxKey, refusalAction, replacementKey, sendPlan, wireMessage } from "./outbox.js";
import { countdown, ensurePaper, enterTest, renderAll } from "./phases.js";
import { refreshScreen, setBanner, setPhase, updateConnectionUi } from "./screens.js";
import { mergeState } from "./state.js";
import { checkSessionOverRest, closed, finish, resultsReleased, sessionOver, wrongUser } from "./submit.js";

const MAX_IN_FLIGHT = 100;
const SOCKET_TIMINGS = { heartbeatMs: 10000, silenceLimitMs: 25000, backoffBaseMs: 500, backoffCapMs: 10000 };

// Stamped on the server's clock: a replayed event's `made_at` is then comparable with the server's own times.
export const outbox = new Outbox(outboxKey(config.scope, config.user_id), undefined, {
  now: () => Date.now() + countdown.offset,
});
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

/** Send what waits, in order. Nothing goes while the session is paused (it would be refused): it all goes after. */
export function flush() {
  if (!socket.isOpen || !page.ready || !TEST_PHASES.has(page.phase)) return;
  if (page.paused || page.sessionStatus === "PAUSED" || page.holdForSync) return;
  const { send, stale } = sendPlan(outbox.entries, {
    inFlight: page.inFlight,
    appliedSeq: page.appliedSeq,
    limit: MAX_IN_FLIGHT,
  });
  for (const entry of stale) outbox.drop(entry.event_id); // a newer answer (or flag) already reached the server
  for (const entry of send) {
    if (!socket.send(wireMessage(entry))) break;
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
      if (page.everConnected) loadMessages(); // a message sent while this page was offline
      page.everConnected = true;
      if (TEST_PHASES.has(page.phase)) {
        flush(); // replay the outbox in order…
        requestSync(); // …then re-sync: the answer arrives after the replayed events are applied
      } else if (page.phase === "connecting" || page.phase === "not-open") {
        setPhase(RUNNING_STATUSES.has(page.sessionStatus) ? "connecting" : "waiting");
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
      } else if (message.status === "PAUSED") {
        pauseTest(); // session_paused has the reason and the moment; this may come first
      } // back to IN_PROGRESS: session_resumed and the state sync after it say so, with the new end
      break;
    case "session_paused":
      page.sessionStatus = "PAUSED";
      pauseTest({ reason: message.reason ?? null, pausedAt: message.paused_at, remainingMs: leftAtPause(message.paused_at) });
      break;
    case "session_resumed":
      page.sessionStatus = "IN_PROGRESS";
      countdown.sync(null, message.server_now);
      resumeTest({ pausedSeconds: message.paused_seconds });
      break;
    case "time_extended":
      timeExtended(message);
      break;
    case "attempt_reopened":
      attemptReopened(message);
      break;
    case "teacher_message":
      receiveMessage(message);
      break;
    case "session_started":
      page.sessionStatus = "IN_PROGRESS";
      countdown.sync(message.ends_at, message.server_now);
      setAudioStart(message.audio_started_at);
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
      if (page.phase === "finished") sessionOver();
      else finish({ reason: message.reason === "TIME_UP" ? "time" : "teacher", lost: outbox.workSize });
      break;
    case "results_released":
      resultsReleased();
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
  const seq = ++page.syncSeq;
  page.sessionStatus = message.status;
  page.holdForSync = false;
  const paused = message.status === "PAUSED";
  countdown.sync(message.ends_at, message.server_now); // the attempt's own end
  setAudioStart(message.audio_started_at); // a Listening paper's timeline, moved by the pauses
  const remainingMs = message.remaining_seconds == null ? undefined : message.remaining_seconds * 1000;
  if (paused) countdown.freeze(remainingMs ?? countdown.remainingMs()); // the time left at the pause
  else countdown.unfreeze();
  const attempt = message.attempt;
  if (attempt) page.attemptId = attempt.id;
  if (attempt && (attempt.status !== "IN_PROGRESS" || message.status === "COMPLETED")) {
    finish({ attempt, reason: finishReason(message, attempt), lost: outbox.workSize });
    if (!RUNNING_STATUSES.has(message.status)) sessionOver();
    return;
  }
  if (attempt && page.phase !== "closed") {
    try {
      await ensurePaper();
    } catch {
      return;
    }
    if (seq !== page.syncSeq) return; // a newer state sync came while the paper loaded: it decides
    leaveFinished(); // the teacher reopened the attempt
    commitTextInputs();
    page.state = mergeState(attempt, outbox.pending());
    rememberCommitted();
    backFromTimeUp(); // the teacher gave time after it had run out on this page
    enterTest();
    renderAll();
    restorePositionOnce();
  }
  if (paused) pauseTest({ remainingMs: countdown.remainingMs(), pausedAt: pausedAtOf(message) });
  else if (page.paused) resumeTest();
  refreshScreen();
  flush();
}

/** When the session was paused, from a paused state sync: the end minus the time that was left. */
function pausedAtOf(message) {
  const endsAt = Date.parse(message.ends_at);
  if (Number.isNaN(endsAt) || message.remaining_seconds == null) return undefined;
  return new Date(endsAt - message.remaining_seconds * 1000).toISOString();
}

/** Why the attempt is over, as far as this page can tell. */
function finishReason(message, attempt) {
  if (page.phase === "timeup" || (attempt.ends_at && Date.parse(attempt.ends_at) <= Date.parse(message.server_now))) {
    return "time";
  }
  if (page.phase === "submitting") return "submitted";
  return "ended"; // the teacher finished it, or another tab of this student submitted it
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
  const action = refusalAction(message.code);
  if (action === "retry") {
    page.inFlight.add(eventId); // held back until the retry, so the next flush does not resend it at once
    setTimeout(() => {
      page.inFlight.delete(eventId);
      flush();
    }, 1000 + Math.random() * 1000);
    return;
  }
  if (action === "hold") {
    // The session is paused: the event stays in the outbox (it is not lost) and goes again after the resume.
    // If this page has not heard of the pause yet, it holds everything until a state sync says how things are.
    if (!page.paused && !page.holdForSync) {
      page.holdForSync = true;
      requestSync();
    }
    updateConnectionUi();
    return;
  }
  outbox.drop(eventId);
  if (entry.type === "text_highlighted") outbox.dropHighlightRefs(eventId);
  if (action === "closed") {
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
