// The live monitor's board as data: the session, the live counts and one record per student, changed only
// by the server's WebSocket messages, by REST snapshots and by the REST answers of the teacher's controls. No
// DOM and no network here. Every change returns what it touched (which cards, the header, the card order),
// the feed lines a teacher reads (worded by feed-lines.js), whether a fresh snapshot is wanted and which attempts
// to read again; the view draws that.
//
// Events that arrive while a snapshot is loading are kept and replayed on top of it, so the board is
// never older than the last event. The state's shape and shared rules are in board-state.js, the handlers of
// what the teacher's controls cause in board-teacher.js, and what a teacher reads in board-read.js.

import { countWords } from "../common/words.js";
import {
  blankStudent,
  departureBegan,
  key,
  momentOf,
  noChanges,
  offlineCounts,
  settleOffline,
  studentFor,
  syncClock,
  takeAttempt,
  takeDepartures,
  touch,
  touchAll,
  violationOf,
} from "./board-state.js";
import { TEACHER_HANDLERS } from "./board-teacher.js";
import { feedLine } from "./feed-lines.js";

export * from "./board-read.js";
export { createBoard, key, noChanges, offlineSecondsAt, syncClock } from "./board-state.js";
export { applyAttempt, applyAttemptResult, applyMessageResult, applySessionExtension } from "./board-teacher.js";
export { feedLine } from "./feed-lines.js";

const COUNT_NAMES = ["participants", "connected", "submitted", "violations_total"];

function applyLifecycle(board, message, replay, changes) {
  if (message.status) setStatus(board, message.status, message.timestamp);
  if (message.server_now) syncClock(board, message.server_now);
  changes.header = true;
}

/** A new status; a pause's moment is kept (the frozen countdown reads it) until the test goes on. */
function setStatus(board, status, pausedAt = null) {
  board.session.status = status;
  if (status !== "PAUSED") {
    board.session.paused_at = null;
    board.session.pause_reason = null;
  } else if (!board.session.paused_at) {
    board.session.paused_at = pausedAt;
  }
}

function presenceChanged(board, message, replay, changes, connected) {
  const student = studentFor(board, changes, message.student_id, message.student_name);
  if (connected && student.offlineSince !== null && student.attemptId !== null && !replay) {
    changes.attempts.add(key(student.attemptId)); // back: the server's exact offline time, for the give-back
  }
  if (connected && student.attemptId === null && board.running.has(board.session.status) && !replay) {
    changes.refresh = true; // a late joiner: their new attempt, and where they are in it from the start
  }
  student.connected = connected;
  student.joined = true;
  student.connections = connected ? Math.max(1, student.connections) : 0;
  if (message.connected_count !== undefined) board.counts.connected = message.connected_count;
  touch(changes, student);
  changes.header = true;
}

// Each handler: (board, message, replay, changes). A replayed event (one already seen, applied again on
// top of a newer snapshot) changes the state only: no feed line, no flash, no reload. After each, the
// students' offline counts are settled at the moment the message says it happened, and a new message gets its
// feed line.

const HANDLERS = {
  connected(board, message) {
    if (message.server_now) syncClock(board, message.server_now);
  },
  pong(board, message) {
    if (message.server_now) syncClock(board, message.server_now);
  },
  waiting_room_opened(board, message, replay, changes) {
    board.session.status = "WAITING_FOR_STUDENTS";
    changes.header = true;
  },
  session_started(board, message, replay, changes) {
    board.session.status = "IN_PROGRESS";
    board.session.started_at = message.started_at;
    board.session.ends_at = message.ends_at;
    if (message.server_now) syncClock(board, message.server_now);
    for (const id of message.connected_students || []) {
      const student = studentFor(board, changes, id);
      student.connected = true; // by definition: their offline time does not count
      student.joined = true;
      student.connections = Math.max(1, student.connections);
      if (!student.attemptStatus) student.attemptStatus = "IN_PROGRESS";
      touch(changes, student);
    }
    changes.header = true;
    if (!replay) changes.refresh = true; // attempt ids for the timeline links
  },
  session_completed(board, message, replay, changes) {
    setStatus(board, "COMPLETED");
    board.session.completed_at = message.completed_at;
    changes.header = true;
    if (!replay) changes.refresh = true; // final scores
  },
  session_cancelled(board, message, replay, changes) {
    setStatus(board, "CANCELLED");
    changes.header = true;
  },
  session_status_changed: applyLifecycle,
  real_time_stats(board, message, replay, changes) {
    for (const name of COUNT_NAMES) {
      if (message[name] !== undefined) board.counts[name] = message[name];
    }
    changes.header = true;
  },
  participant_joined(board, message, replay, changes) {
    presenceChanged(board, message, replay, changes, true);
  },
  participant_disconnected(board, message, replay, changes) {
    presenceChanged(board, message, replay, changes, false);
  },
  answer_submitted(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    if (message.answered_count !== undefined) student.answered = message.answered_count;
    if (board.essays.has(key(message.question_id)) && typeof message.answer === "string") {
      student.words.set(key(message.question_id), countWords(message.answer));
    }
    touch(changes, student);
  },
  tab_violation(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    if (message.returned) {
      departureEnded(student, message, replay, changes);
      return;
    }
    const before = student.violations;
    student.violations = message.violations_count ?? student.violations + 1;
    // Not reviewed yet; without an id in the message, it comes with the attempt's body (read for the review).
    while (student.violationList && student.violationList.length < student.violations) {
      student.violationList.push(violationOf({ id: message.violation_id, type: message.violation_type,
                                               timestamp: message.timestamp }));  // prettier-ignore
    }
    departureBegan(student, message);
    if (!replay && student.violations > before) student.flash = true;
    touch(changes, student);
  },
  text_highlighted(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    student.highlights.delete(key(message.highlight_id));
    student.highlights.set(key(message.highlight_id), message.text);
    touch(changes, student);
  },
  highlight_noted(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    touch(changes, student);
  },
  highlight_removed(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    student.highlights.delete(key(message.highlight_id));
    touch(changes, student);
  },
  question_flagged(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    if (message.flagged) student.flagged.add(key(message.question_id));
    else student.flagged.delete(key(message.question_id));
    touch(changes, student);
  },
  progress_update(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    student.passageIndex = message.passage_index;
    student.questionIndex = message.question_index;
    touch(changes, student);
  },
  attempt_submitted(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    student.attemptStatus = "SUBMITTED";
    student.score = message.score;
    student.band = message.band;
    student.submitReason = message.reason || null;
    student.reopened = false;
    touch(changes, student);
  },
  error(board, message, replay, changes) {
    changes.serverError = message;
  },
  ...TEACHER_HANDLERS,
};

const MOMENT_FIELDS = ["paused_at", "completed_at", "server_now"];

function handle(board, message, replay, changes) {
  HANDLERS[message.type](board, message, replay, changes);
  settleOffline(board, momentOf(board, message, ...MOMENT_FIELDS), changes);
  const line = replay ? null : feedLine(board, message);
  if (line) changes.feed.push(line);
}

/** Apply one message from the server. Types the board does not know are ignored (the contract says so). */
export function receive(board, message) {
  const changes = noChanges();
  const handler = HANDLERS[message.type];
  if (!handler) return changes;
  if (board.replayBuffer) board.replayBuffer.push(message);
  handle(board, message, false, changes);
  return changes;
}

/** A snapshot starts loading: from now on events are kept for replay. Returns the snapshot's token. */
export function beginSnapshot(board) {
  const buffer = [];
  board.replayBuffer = buffer;
  return buffer;
}

/** The snapshot has landed or failed: stop keeping events (unless a newer snapshot took over). */
export function endSnapshot(board, token) {
  if (board.replayBuffer === token) board.replayBuffer = null;
}

/**
 * Replace the board with a REST snapshot: the session, its stats and the attempts (flags, highlights and
 * violations), then replay the events received since the snapshot began. `sentMs`/`receivedMs` bracket the
 * session request, for the clock. Returns null when a newer snapshot began meanwhile (this one is stale).
 */
export function applySnapshot(board, token, { session, stats, attempts = [], sentMs, receivedMs }) {
  if (board.replayBuffer !== token) return null;
  const changes = noChanges();
  syncClock(board, session.server_now, (sentMs + receivedMs) / 2);
  const atMs = Date.parse(session.server_now);
  board.snapshotAtMs = Number.isNaN(atMs) ? 0 : atMs;
  const pausedAt = session.paused_at || board.session.paused_at || session.updated_at || session.server_now;
  board.session = { ...board.session, ...session };
  setStatus(board, session.status, pausedAt);
  board.counts = {
    participants: stats.participants,
    connected: stats.connected,
    submitted: stats.submitted,
    violations_total: stats.violations_total,
  };
  const byAttempt = new Map(attempts.filter(Boolean).map((a) => [key(a.id), a]));
  const participants = new Map((session.participants || []).map((p) => [key(p.student_id), p]));
  const next = new Map();
  for (const row of stats.students || []) {
    const old = board.students.get(key(row.student_id));
    const student = blankStudent(row.student_id, row.student_name);
    const participant = participants.get(key(row.student_id));
    student.connected = participant ? participant.connection_status === "CONNECTED" : false;
    student.joined = Boolean(participant?.joined_at) || student.connected || Boolean(old?.joined);
    student.connections = participant?.connections ?? (student.connected ? 1 : 0);
    student.attemptId = row.attempt_id ?? participant?.attempt_id ?? null;
    student.attemptStatus = row.status;
    student.answered = row.answered ?? 0;
    student.violations = row.violations ?? 0;
    student.violationsConfirmed = row.violations_confirmed ?? 0;
    student.score = row.score;
    student.band = row.band;
    student.passageIndex = row.status ? row.current_passage_index : null;
    student.questionIndex = row.status ? row.current_question_index : null;
    student.extraSeconds = row.extra_seconds ?? 0;
    student.offlineBase = participant?.offline_seconds ?? row.offline_seconds ?? 0;
    student.offlineSince = offlineCounts(board, student) ? board.snapshotAtMs : null;
    keepLiveOnly(board, student, old);
    const attempt = student.attemptId !== null ? byAttempt.get(key(student.attemptId)) : null;
    if (attempt) {
      student.flagged = new Set((attempt.flagged_question_ids || []).map(key));
      const highlights = [...(attempt.highlights || [])].sort(
        (a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp) || Number(a.id) - Number(b.id),
      );
      student.highlights = new Map(highlights.map((h) => [key(h.id), h.text]));
      if (Array.isArray(attempt.violations)) student.violationList = attempt.violations.map(violationOf);
      takeDepartures(student);
      if (attempt.extra_seconds !== undefined) student.extraSeconds = attempt.extra_seconds;
      student.words = new Map((attempt.writing || []).map((item) => [key(item.question_id), item.words]));
    } else if (old) {
      student.words = old.words;
      student.flagged = old.flagged;
      student.highlights = old.highlights;
      student.violationList = old.violationList;
      student.away = old.away;
      student.lastAwaySeconds = old.lastAwaySeconds;
    }
    next.set(key(row.student_id), student);
  }
  board.students = next;
  for (const message of token) handle(board, message, true, changes);
  touchAll(board, changes);
  changes.order = true;
  changes.header = true;
  return changes;
}

/** The student is back from a departure (`tab_violation` with `returned`): it ends with its time away. */
function departureEnded(student, message, replay, changes) {
  const ended = student.violationList?.find((v) => v.id !== null && key(v.id) === key(message.violation_id));
  if (ended) ended.away_seconds = message.away_seconds;
  student.away = null;
  student.lastAwaySeconds = message.away_seconds ?? null;
  touch(changes, student);
}

/** What only this page heard (how an attempt was handed in, a reopening, give-backs, the last notice). */
function keepLiveOnly(board, student, old) {
  student.givenBack = old ? old.givenBack : board.givenBack.get(key(student.id)) || 0;
  if (!old) return;
  student.givingBack = old.givingBack;
  student.notice = old.notice;
  if (student.attemptStatus === "SUBMITTED") student.submitReason = old.submitReason;
  if (student.attemptStatus === "IN_PROGRESS") student.reopened = old.reopened;
}

/** A transition the teacher asked for went through: the session as the API answered. Its feed line comes with
 * its event, as for every teacher watching: one line per transition. */
export function applyActionResult(board, session) {
  const changes = noChanges();
  if (session && session.status) {
    if (session.server_now) syncClock(board, session.server_now);
    const { status, ...rest } = session;
    board.session = { ...board.session, ...rest };
    setStatus(board, status, session.paused_at || session.server_now);
    settleOffline(board, momentOf(board, session, "server_now"), changes);
    touchAll(board, changes);
  }
  changes.header = true;
  return changes;
}
