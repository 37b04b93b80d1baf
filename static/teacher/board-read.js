// What a teacher reads on the live monitor, derived from the board's state (board-state.js) and the server's
// clock: a card's status, position, time and offline lines, which of its controls apply, the countdown and
// the hint beside the controls. Pure functions: no DOM and no network.

import { formatBand, formatRemaining, plural } from "../common/format.js";
import { key, offlineSecondsAt, offlineToGive, ownEndsMs, serverNowMs } from "./board-state.js";

export const VIOLATION_LABELS = {
  TAB_SWITCH: "switched tab",
  WINDOW_BLUR: "left the window",
  FULLSCREEN_EXIT: "left full screen",
  COPY: "copied text",
  PASTE: "pasted text",
};

const IDLE_COUNTDOWN = {
  SCHEDULED: "Not started",
  WAITING_FOR_STUDENTS: "Not started",
  COMPLETED: "Finished",
  CANCELLED: "Cancelled",
};
const SUBMIT_REASONS = { TEACHER: "finished by the teacher", TIME_UP: "time was up", STUDENT: "handed in" };

/** A number of seconds as people say it: "45 s", "5 min", "2 min 30 s", "1 h 5 min". */
export function durationText(seconds) {
  const total = Math.abs(Math.round(Number(seconds) || 0));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  const parts = [];
  if (hours) parts.push(`${hours} h`);
  if (minutes) parts.push(`${minutes} min`);
  if (rest || !parts.length) parts.push(`${rest} s`);
  return parts.slice(0, 2).join(" ");
}

export function statusText(student, questionCount) {
  switch (student.attemptStatus) {
    case "SUBMITTED":
      return student.score === null || student.score === undefined
        ? "Submitted"
        : `✓ ${student.score}/${questionCount} · ${formatBand(student.band)}`;
    case "ABANDONED":
      return "Abandoned";
    case "IN_PROGRESS":
      return student.connected ? "Working" : "Working (offline)";
    default:
      return student.connected ? "Waiting" : "Absent";
  }
}

export function statusTitle(student, questionCount) {
  if (student.attemptStatus !== "SUBMITTED" || student.score === null || student.score === undefined) {
    return statusText(student, questionCount);
  }
  const why = SUBMIT_REASONS[student.submitReason];
  const mark = `Submitted: ${student.score} of ${questionCount} correct, band ${formatBand(student.band)}`;
  return why && student.submitReason !== "STUDENT" ? `${mark} (${why})` : mark;
}

/** A Writing paper's card: the words written so far per task ("Task 1: 162 words · Task 2: 40 words"). */
export function wordsLine(board, student) {
  if (!board.essays.size) return "";
  return [...board.essays.values()]
    .sort((a, b) => a.task - b.task)
    .map((essay) => `Task ${essay.task}: ${plural(student.words.get(key(essay.id)) ?? 0, "word")}`)
    .join(" · ");
}

export function positionText(student) {
  return student.passageIndex === null || student.passageIndex === undefined
    ? "–"
    : `P${student.passageIndex + 1} · Q${student.questionIndex + 1}`;
}

/** The student's newest highlight still standing, or null. */
export function lastHighlight(student) {
  let text = null;
  for (const value of student.highlights.values()) text = value;
  return text;
}

/** "Q3" for a question of the paper, by its id; "a question" for one the page does not know. */
export function questionLabelFor(board, questionId) {
  const number = board.questionNumbers[key(questionId)];
  return number ? `Q${number}` : "a question";
}

/** Never came: no connection and no attempt (they fold into one line under the cards). */
export function isAbsent(student) {
  return !student.joined && !student.connected && student.attemptId === null;
}

/** Away during the test, violations not reviewed yet, or two devices: what a teacher should look at. */
export function needsAttention(student) {
  const unreviewed = student.violationList
    ? student.violationList.some((v) => !v.verdict)
    : student.violations > student.violationsConfirmed;
  return (student.attemptStatus === "IN_PROGRESS" && !student.connected) || unreviewed || student.connections >= 2;
}

export const CARD_FILTERS = {
  all: () => true,
  connected: (student) => student.connected,
  away: (student) => !student.connected,
  attention: needsAttention,
};

/** The class page's order: by surname (the page's roster), then those it does not list by name. */
function byRoster(board) {
  const rank = (student) => board.rosterRank.get(key(student.id)) ?? Infinity;
  return (a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || key(a.id).localeCompare(key(b.id));
}

const CONNECTION_RANK = (student) => (student.connected ? 0 : student.attemptStatus === "IN_PROGRESS" ? 1 : 2);

// Each sort: the cards that matter most for it first, the roster's order among equals.
const CARD_SORTS = {
  name: () => 0,
  progress: (a, b) => b.answered - a.answered,
  violations: (a, b) => b.violations - a.violations,
  connection: (a, b) => CONNECTION_RANK(a) - CONNECTION_RANK(b),
};

/** Cards in board order (`sort`: name, progress, violations or connection), absent students included. */
export function orderedStudents(board, sort = "name") {
  const first = CARD_SORTS[sort] || CARD_SORTS.name;
  const roster = byRoster(board);
  return [...board.students.values()].sort((a, b) => first(a, b) || roster(a, b));
}

/** The cards to draw (those not absent that the filter keeps, in order) and the absent students' names. */
export function boardLayout(board, { sort = "name", filter = "all" } = {}) {
  const keep = CARD_FILTERS[filter] || CARD_FILTERS.all;
  const students = orderedStudents(board, sort);
  return {
    cards: students.filter((student) => !isAbsent(student) && keep(student)),
    absent: students.filter(isAbsent).map((student) => student.name),
  };
}

function remainingState(remainingMs, paused) {
  if (paused) return { text: formatRemaining(Math.max(0, remainingMs), { padMinutes: true }), level: "paused" };
  let level = "";
  if (remainingMs <= 5 * 60 * 1000) level = "last5";
  else if (remainingMs <= 10 * 60 * 1000) level = "last10";
  return { text: remainingMs > 0 ? formatRemaining(remainingMs, { padMinutes: true }) : "Time up", level };
}

/** The moment the clock stands at: the pause's while paused (it is frozen), else the server's now. */
function clockMs(board, nowMs) {
  if (board.session.status === "PAUSED") {
    const paused = Date.parse(board.session.paused_at);
    return Number.isNaN(paused) ? null : paused;
  }
  return nowMs + board.clockOffsetMs;
}

/**
 * The shared countdown on the server's clock: {text, level} where level is "" while running, "last10" and
 * "last5" near the end, "paused" while frozen, and "idle" when no test is running.
 */
export function countdownState(board, nowMs = Date.now()) {
  const { status, ends_at: endsAt } = board.session;
  if ((status === "IN_PROGRESS" || status === "PAUSED") && endsAt) {
    const at = clockMs(board, nowMs);
    if (at === null) return { text: "Paused", level: "paused" };
    return remainingState(Date.parse(endsAt) - at, status === "PAUSED");
  }
  return { text: IDLE_COUNTDOWN[status] || "--:--", level: "idle" };
}

/** The student's own countdown, when their deadline is not the class's (extra time, a reopened attempt). */
export function ownClock(board, student, nowMs = Date.now()) {
  if (student.attemptStatus !== "IN_PROGRESS" || !student.extraSeconds || !board.running.has(board.session.status)) {
    return null;
  }
  const ends = ownEndsMs(board, student);
  const at = clockMs(board, nowMs);
  if (ends === null || at === null) return null;
  return remainingState(ends - at, board.session.status === "PAUSED");
}

/**
 * "+5 min" or "−2 min" when the attempt's deadline differs from the class's, else "" (and for a reopened
 * attempt, whose own clock says it better).
 */
export function extraText(student) {
  if (!student.extraSeconds || (student.reopened && student.attemptStatus === "IN_PROGRESS")) return "";
  return `${student.extraSeconds > 0 ? "+" : "−"}${durationText(student.extraSeconds)}`;
}

/** The student's offline time so far (live while they are away), or "" when there is none. */
export function offlineText(board, student, nowMs = Date.now()) {
  const seconds = offlineSecondsAt(student, serverNowMs(board, nowMs));
  if (seconds < 1) return "";
  const given = Math.min(seconds, student.givenBack);
  return given ? `Offline ${durationText(seconds)} (${durationText(given)} given back)` : `Offline ${durationText(seconds)}`;
}

/** The seconds the "give back" button offers: offline time not given back yet, while the attempt is open. */
export function giveBackSeconds(board, student, nowMs = Date.now()) {
  if (!cardControls(board, student).extra) return 0;
  return offlineToGive(student, serverNowMs(board, nowMs));
}

/** "2 devices" while a student has two or more sockets open, else "". */
export function devicesText(student) {
  return student.connections >= 2 ? `${student.connections} devices` : "";
}

/** Short tags on a card: how the attempt got where it is. */
export function cardTags(student) {
  const tags = [];
  if (student.reopened && student.attemptStatus === "IN_PROGRESS") tags.push("Reopened");
  if (student.attemptStatus === "SUBMITTED" && student.submitReason === "TEACHER") tags.push("Finished by teacher");
  if (student.attemptStatus === "SUBMITTED" && student.submitReason === "TIME_UP") tags.push("Time up");
  return tags;
}

/** "1 confirmed" beside the count of violations once some are confirmed, else "". */
export function reviewText(student) {
  return student.violationsConfirmed ? `${student.violationsConfirmed} confirmed` : "";
}

/** Which of a card's controls apply now. */
export function cardControls(board, student) {
  const status = board.session.status;
  const running = board.running.has(status);
  const attempt = student.attemptId !== null && student.attemptId !== undefined;
  return {
    extra: attempt && running && student.attemptStatus === "IN_PROGRESS",
    finish: attempt && student.attemptStatus === "IN_PROGRESS",
    reopen: attempt && running && student.attemptStatus === "SUBMITTED",
    message: board.open.has(status),
    review: attempt && student.violations > 0,
  };
}

/** What a violation says in the review list: "Switched tab at 14:03:22", "… · away 42 s" once they came back. */
export function violationText(violation, formatTime) {
  const what = VIOLATION_LABELS[violation.type] || String(violation.type).toLowerCase();
  const when = Date.parse(violation.timestamp);
  const label = what.charAt(0).toUpperCase() + what.slice(1);
  const text = Number.isNaN(when) ? label : `${label} at ${formatTime(new Date(when))}`;
  const away = violation.away_seconds;
  return away === null || away === undefined ? text : `${text} · away ${durationText(away)}`;
}

/** "away now" while the student is off the test page, then how long their last departure lasted; else "". */
export function awayText(student) {
  if (student.away && student.attemptStatus === "IN_PROGRESS") return "away now";
  return student.lastAwaySeconds === null ? "" : `away ${durationText(student.lastAwaySeconds)}`;
}

/** The hint beside the controls: how many students are ready in the waiting room, or why the test is paused. */
export function controlHint(board) {
  if (board.session.status === "PAUSED") {
    return board.session.pause_reason ? `Paused: ${board.session.pause_reason}` : "Paused: students wait.";
  }
  if (board.session.status !== "WAITING_FOR_STUDENTS") return "";
  const connected = board.counts.connected;
  return connected ? `${plural(connected, "student")} ready.` : "No student is connected yet.";
}
