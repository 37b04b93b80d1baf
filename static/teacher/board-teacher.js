// The board's side of the teacher's live controls: the server's messages they cause (pause and resume, extra
// time, a reopened attempt, messages, a student's second connection, violation reviews) and the REST answers
// of the controls, so a result shows on the card at once whichever arrives first. Pure: no DOM, no network.
//
// Feed lines come from the server's events (every teacher watching sees them; feed-lines.js words them); a REST
// answer changes the state and leaves a notice on the card.

import { formatBand, truncate } from "../common/format.js";
import {
  extraFor,
  key,
  momentOf,
  noChanges,
  offlineCounts,
  serverNowMs,
  settleOffline,
  studentFor,
  syncClock,
  takeAttempt,
  takeDepartures,
  touch,
  touchAll,
  violationOf,
} from "./board-state.js";
import { durationText } from "./board-read.js";
import { givenText, withReason } from "./feed-lines.js";

const VERDICT_WORDS = { CONFIRMED: "confirmed", DISMISSED: "dismissed" };

/** The class's deadline moved by `seconds` at `atMs`: every open attempt moves as much, none before now. */
function moveSessionEnds(board, endsAt, seconds, atMs, changes) {
  const oldEnds = Date.parse(board.session.ends_at);
  const newEnds = Date.parse(endsAt);
  if (Number.isNaN(newEnds) || oldEnds === newEnds) return false; // already applied (the REST answer came first)
  for (const student of board.students.values()) {
    if (student.attemptStatus !== "IN_PROGRESS" || Number.isNaN(oldEnds)) continue;
    const ownEnds = Math.max(oldEnds + 1000 * (student.extraSeconds + seconds), atMs);
    student.extraSeconds = Math.round((ownEnds - newEnds) / 1000);
    touch(changes, student);
  }
  board.session.ends_at = endsAt;
  changes.header = true;
  return true;
}

/** A give-back made here already counted: its event (same deadline) must not count it again. */
function countGiveBack(board, student, seconds, endsAt) {
  const ends = Date.parse(endsAt);
  if (student.givingBack.delete(ends)) return;
  student.givenBack += seconds;
}

function findViolation(student, violationId) {
  return student.violationList?.find((v) => v.id !== null && key(v.id) === key(violationId)) || null;
}

function recountConfirmed(student) {
  if (student.violationList) {
    student.violationsConfirmed = student.violationList.filter((v) => v.verdict === "CONFIRMED").length;
  }
}

export const TEACHER_HANDLERS = {
  session_paused(board, message, replay, changes) {
    board.session.status = "PAUSED";
    board.session.paused_at = message.paused_at || message.timestamp || null;
    board.session.pause_reason = message.reason || null;
    changes.header = true;
    touchAll(board, changes);
  },
  session_resumed(board, message, replay, changes) {
    if (message.server_now) syncClock(board, message.server_now);
    board.session.status = "IN_PROGRESS";
    board.session.paused_at = null;
    board.session.pause_reason = null;
    if (message.ends_at) board.session.ends_at = message.ends_at; // every open attempt moves with it
    changes.header = true;
    touchAll(board, changes);
  },
  time_extended(board, message, replay, changes) {
    const atMs = momentOf(board, message, "server_now");
    const seconds = Number(message.seconds) || 0;
    if (message.student_id === null || message.student_id === undefined) {
      moveSessionEnds(board, message.ends_at, seconds, atMs, changes);
      return;
    }
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    student.extraSeconds = extraFor(board, message.ends_at);
    if (!replay && message.reason === board.giveBackReason) countGiveBack(board, student, seconds, message.ends_at);
    touch(changes, student);
  },
  attempt_reopened(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    student.attemptStatus = "IN_PROGRESS";
    student.reopened = true;
    student.submitReason = null;
    student.score = null;
    student.band = null;
    student.extraSeconds = extraFor(board, message.ends_at);
    touch(changes, student);
  },
  teacher_message(board, message, replay, changes) {
    if (message.student_id !== null && message.student_id !== undefined) studentFor(board, changes, message.student_id);
  },
  participant_connections(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id, message.student_name);
    student.connections = Number(message.connections) || 0;
    if (student.connections > 0) student.connected = true;
    touch(changes, student);
  },
  violation_reviewed(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    const violation = findViolation(student, message.violation_id);
    if (violation) {
      violation.verdict = message.verdict;
      recountConfirmed(student);
    }
    // Reviewed elsewhere (or a violation the board has not seen): read the attempt again, for the note.
    if (!replay && !violation?.reviewedHere && student.attemptId !== null) changes.attempts.add(key(student.attemptId));
    if (violation) violation.reviewedHere = false;
    touch(changes, student);
  },
};

// ---------------------------------------------------------------- an attempt body (a REST answer or a reload)

/** What an attempt body says about the controls' fields: status, mark, extra and offline time, violations. */
export function readAttempt(board, student, attempt) {
  student.attemptId = attempt.id;
  student.attemptStatus = attempt.status;
  student.score = attempt.score ?? null;
  student.band = attempt.band ?? null;
  if (attempt.extra_seconds !== undefined) student.extraSeconds = attempt.extra_seconds;
  else if (attempt.ends_at) student.extraSeconds = extraFor(board, attempt.ends_at);
  if (attempt.offline_seconds !== undefined) {
    student.offlineBase = attempt.offline_seconds;
    const at = Date.parse(attempt.server_now);
    student.offlineSince = offlineCounts(board, student) ? (Number.isNaN(at) ? serverNowMs(board) : at) : null;
  }
  if (Array.isArray(attempt.violations)) {
    student.violationList = attempt.violations.map(violationOf);
    takeDepartures(student);
    student.violations = student.violationList.length;
    recountConfirmed(student);
  }
}

function studentOfAttempt(board, attempt) {
  for (const student of board.students.values()) {
    if (student.attemptId !== null && key(student.attemptId) === key(attempt.id)) return student;
  }
  return board.students.get(key(attempt.student_id)) || null;
}

/**
 * A control on one attempt went through: the attempt as the API answered it. `control` says which
 * (extra, give-back, finish, reopen, review), `seconds` what was asked, `violationId` the one reviewed; the card
 * gets a notice at once.
 */
export function applyAttemptResult(board, attempt, { control, seconds = 0, reason = null, violationId = null } = {}) {
  const changes = noChanges();
  if (!attempt) return changes;
  const student = studentOfAttempt(board, attempt);
  if (!student) return changes;
  if (attempt.server_now) syncClock(board, attempt.server_now);
  readAttempt(board, student, attempt);
  switch (control) {
    case "extra":
      student.notice = { kind: "time", text: withReason(givenText(seconds), reason) };
      break;
    case "give-back":
      student.givingBack.add(Date.parse(attempt.ends_at));
      student.givenBack += seconds;
      student.notice = { kind: "time", text: `Gave back ${durationText(seconds)} of offline time` };
      break;
    case "finish":
      student.submitReason = "TEACHER";
      student.reopened = false;
      student.notice = {
        kind: "done",
        text: `Finished: ${attempt.score ?? "–"}/${board.questionCount}, band ${formatBand(attempt.band)}`,
      };
      break;
    case "reopen":
      student.reopened = true;
      student.submitReason = null;
      student.notice = { kind: "time", text: `Reopened for ${durationText(seconds)}` };
      break;
    case "review": {
      const violation = findViolation(student, violationId);
      if (violation) violation.reviewedHere = true; // its event needs no second read
      const word = VERDICT_WORDS[violation?.verdict] || "reviewed";
      student.notice = { kind: "review", text: `Violation ${word}` };
      break;
    }
    default:
      break;
  }
  settleOffline(board, serverNowMs(board), changes);
  touch(changes, student);
  return changes;
}

/** An attempt body read again (after a review of a violation the board had not seen). */
export function applyAttempt(board, attempt) {
  return applyAttemptResult(board, attempt, {});
}

/** A message went out: a notice on that student's card, or on none for the class. */
export function applyMessageResult(board, message) {
  const changes = noChanges();
  if (!message || message.student_id === null || message.student_id === undefined) return changes;
  const student = studentFor(board, changes, message.student_id);
  student.notice = { kind: "message", text: `Message sent: “${truncate(message.text, 60)}”` };
  touch(changes, student);
  return changes;
}

/** The class got extra time: the session as the API answered; open attempts move with it at once. */
export function applySessionExtension(board, session, seconds) {
  const changes = noChanges();
  if (!session) return changes;
  if (session.server_now) syncClock(board, session.server_now);
  moveSessionEnds(board, session.ends_at, seconds, momentOf(board, session, "server_now"), changes);
  return changes;
}
