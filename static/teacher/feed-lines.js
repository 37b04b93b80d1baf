// What the live monitor's feed says: one line per event, made from the fields of its live message, or of the
// line the server rebuilt from the log in the same shape (monitoring.selectors.session_feed), so a line reads the
// same before and after a reload. The one place the feed's words are made. Pure: no DOM and no network.

import { formatBand, truncate } from "../common/format.js";
import { durationText, questionLabelFor, VIOLATION_LABELS } from "./board-read.js";
import { key } from "./board-state.js";

const SUBMITTED_HOW = { TEACHER: "was finished by the teacher", TIME_UP: "ran out of time" };
const VERDICT_WORDS = { CONFIRMED: "confirmed", DISMISSED: "dismissed" };

export function givenText(seconds) {
  return seconds < 0 ? `${durationText(-seconds)} less time` : `${durationText(seconds)} more time`;
}

export function withReason(text, reason) {
  return reason ? `${text} (${truncate(reason, 80)})` : text;
}

const forEveryone = (message) => message.student_id === null || message.student_id === undefined;

// Each: (message, {name, question, questionCount}) → [kind, text, minor?]
const LINES = {
  waiting_room_opened: () => ["session", "The waiting room is open."],
  session_started: () => ["session", "The test has started."],
  session_completed: (m) => ["session", `The session is completed (${m.reason === "TIME_UP" ? "time is up" : "ended by the teacher"}).`],
  session_cancelled: () => ["session", "The session is cancelled."],
  session_paused: (m) => ["session", withReason("The test is paused for everyone", m.reason) + "."],
  session_resumed: (m) => ["session", `The test goes on${m.paused_seconds ? ` after ${durationText(m.paused_seconds)}` : ""}.`],
  participant_joined: (m, { name }) => ["joined", `${name} connected.`],
  participant_disconnected: (m, { name }) => ["left", `${name} disconnected.`],
  answer_submitted: (m, { name, question }) => [
    "answer",
    `${name} ${String(m.answer ?? "").trim() ? "answered" : "cleared"} ${question(m.question_id)}.`,
    true,
  ],
  tab_violation: (m, { name }) =>
    m.returned
      ? ["return", `${name} came back to the test${m.away_seconds == null ? "" : ` after ${durationText(m.away_seconds)}`}.`]
      : ["violation", `${name} ${VIOLATION_LABELS[m.violation_type] || String(m.violation_type).toLowerCase()}.`],
  text_highlighted: (m, { name }) => ["highlight", `${name} highlighted “${truncate(m.text, 60)}”.`, true],
  highlight_removed: (m, { name }) => ["highlight", `${name} removed a highlight.`, true],
  highlight_noted: (m, { name }) => ["highlight", m.note ? `${name} noted a highlight: “${truncate(m.note, 60)}”.` : `${name} cleared a highlight's note.`, true],
  question_flagged: (m, { name, question }) => [
    "flag",
    `${name} ${m.flagged ? "flagged" : "unflagged"} ${question(m.question_id)}.`,
    true,
  ],
  attempt_submitted: (m, { name, questionCount }) => {
    const result = `${m.score}/${questionCount}, band ${formatBand(m.band)}`;
    const how = SUBMITTED_HOW[m.reason];
    return ["submitted", how ? `${name}'s test ${how}: ${result}.` : `${name} submitted: ${result}.`];
  },
  time_extended: (m, { name }) => [
    "time",
    withReason(`${forEveryone(m) ? "Everyone" : name} got ${givenText(Number(m.seconds) || 0)}`, m.reason) + ".",
  ],
  attempt_reopened: (m, { name }) => ["time", `${name}'s test is open again.`],
  teacher_message: (m, { name }) => [
    "message",
    `Message to ${forEveryone(m) ? "everyone" : name}: “${truncate(m.text, 120)}”`,
  ],
  violation_reviewed: (m, { name }) => [
    "review",
    `A violation of ${name} was ${VERDICT_WORDS[m.verdict] || String(m.verdict).toLowerCase()}.`,
    true,
  ],
};

/** The student's name as the board has it (the card's), else as the message gives it. */
function nameOf(board, message) {
  if (forEveryone(message)) return "";
  return board.students.get(key(message.student_id))?.name || message.student_name || `Student ${message.student_id}`;
}

/**
 * The feed line of a live message or of a rebuilt one, or null for a message that makes none: {kind, text,
 * minor, studentId, timestamp (when it happened: when the student made it, for an event sent from their
 * outbox), heardAt (when the server sent it)}.
 */
export function feedLine(board, message) {
  const make = LINES[message.type];
  if (!make) return null;
  const words = { name: nameOf(board, message), question: (id) => questionLabelFor(board, id), questionCount: board.questionCount };
  const [kind, text, minor = false] = make(message, words);
  return {
    kind,
    text,
    minor,
    studentId: forEveryone(message) ? null : message.student_id,
    timestamp: message.made_at || message.timestamp || null,
    heardAt: message.timestamp || null,
  };
}
