// The live monitor's pace lanes as data: each student's position over the test's time (from their progress and
// answers, the log's history on load and the snapshot on every reconnect), against the real test's guide of 20
// minutes a passage, and the two warnings a teacher acts on: "behind pace" and "stuck". Pure: no DOM and no network;
// the page re-evaluates it on its own timer, on the server's clock (no broadcast needed).
//
// The guide: the session's time limit shared equally by its passages (an hour over three passages is the 20
// minutes a passage of ielts.md; another limit scales it, and so does an attempt's extra time); within a passage,
// its questions evenly. A question's guide moment is when the guide is done with it. Time paused does not count.

import { key } from "./board-state.js";

export const PACE_RULES = {
  behindMinutes: 5, // behind pace: more than this behind the guide's moment for the current question
  stuckFactor: 3, // stuck: on the current question more than this many times the class's median for it,
  stuckFloorMinutes: 1, // and at least this long (three times a median of seconds is no reason to look)
  quietMinutes: 4, // stuck too: this long on the current question with no answer given
  medianStudents: 3, // the class's median counts once this many students have spent time on the question
};

/**
 * startedAt: the session's start (ISO); limitSeconds: its time limit on the server's clock; secondsPerMinute: the
 * clock's minute (a test's time scale); passages: each passage's question indices (number − 1), in order; pauses:
 * [[fromMs, toMs or null]]; attempts: student id → {started: ms, moves: [[ms, question index, 1 for an answer]]}.
 */
export function createLanes({
  startedAt = null,
  limitSeconds = 3600,
  secondsPerMinute = 60,
  passages = [],
  pauses = [],
  attempts = {},
  questionNumbers = {},
}) {
  const started = Date.parse(startedAt);
  const lanes = {
    startedMs: Number.isNaN(started) ? null : started,
    limitSeconds,
    minuteSeconds: secondsPerMinute,
    passages: passages.filter((questions) => questions.length),
    pauses: pauses.map(([from, to]) => ({ from, to })),
    students: new Map(),
    indexOf: new Map(Object.entries(questionNumbers).map(([id, number]) => [key(id), number - 1])),
  };
  for (const [studentId, attempt] of Object.entries(attempts)) {
    const lane = laneFor(lanes, studentId);
    lane.startedMs = attempt.started ?? null;
    lane.moves = (attempt.moves || []).map(([at, index, answered]) => ({ at, index, answered: Boolean(answered) }));
  }
  return lanes;
}

function laneFor(lanes, studentId) {
  let lane = lanes.students.get(key(studentId));
  if (!lane) {
    lane = { startedMs: null, moves: [], answers: new Map() };
    lanes.students.set(key(studentId), lane);
  }
  return lane;
}

function openPause(lanes) {
  const last = lanes.pauses.at(-1);
  return last && last.to === null ? last : null;
}

function addMove(lane, at, index, answered) {
  const moves = lane.moves;
  let place = moves.length;
  while (place > 0 && moves[place - 1].at > at) place -= 1; // an event replayed from an outbox lands in its place
  moves.splice(place, 0, { at, index, answered });
}

/**
 * One message from the server (not a replay). Returns the student id whose lane it changed, "all" for the class's
 * pauses and start, or null.
 */
export function recordLane(lanes, message, fallbackMs = Date.now()) {
  const at = [message.made_at, message.timestamp].map(Date.parse).find((ms) => !Number.isNaN(ms)) ?? fallbackMs;
  switch (message.type) {
    case "session_started": {
      const started = Date.parse(message.started_at);
      lanes.startedMs = Number.isNaN(started) ? at : started;
      return "all";
    }
    case "session_paused": {
      if (!openPause(lanes)) lanes.pauses.push({ from: Date.parse(message.paused_at) || at, to: null });
      return "all";
    }
    case "session_resumed": {
      const pause = openPause(lanes);
      if (pause) pause.to = Math.max(pause.from, at);
      return "all";
    }
    case "progress_update": {
      if (!Number.isInteger(message.question_index)) return null;
      addMove(laneFor(lanes, message.student_id), at, message.question_index, false);
      return key(message.student_id);
    }
    case "answer_submitted": {
      const index = lanes.indexOf.get(key(message.question_id));
      const lane = laneFor(lanes, message.student_id);
      lane.answers.set(key(message.question_id), message.answer ?? "");
      if (index !== undefined) addMove(lane, at, index, String(message.answer ?? "").trim() !== "");
      return key(message.student_id);
    }
    default:
      return null;
  }
}

/**
 * After a REST snapshot (board.applySnapshot): the start, the pause, each attempt's start and answers, and where
 * each student is now when the lane missed their move (while the monitor was offline).
 */
export function takeLaneSnapshot(lanes, board, attempts = []) {
  const started = Date.parse(board.session.started_at);
  if (!Number.isNaN(started)) lanes.startedMs = started;
  const atMs = board.snapshotAtMs;
  const pause = openPause(lanes);
  if (board.session.status === "PAUSED" && !pause) {
    lanes.pauses.push({ from: Date.parse(board.session.paused_at) || atMs, to: null });
  } else if (board.session.status !== "PAUSED" && pause) {
    pause.to = Math.max(pause.from, atMs);
  }
  for (const attempt of attempts) {
    if (!attempt) continue;
    const lane = laneFor(lanes, attempt.student_id);
    const attemptStarted = Date.parse(attempt.started_at);
    if (!Number.isNaN(attemptStarted)) lane.startedMs = attemptStarted;
    lane.answers = new Map((attempt.answers || []).map((item) => [key(item.question_id), item.answer ?? ""]));
  }
  for (const student of board.students.values()) {
    if (student.questionIndex === null || student.questionIndex === undefined) continue;
    const lane = laneFor(lanes, student.id);
    if (currentIndex(lane) !== student.questionIndex) addMove(lane, atMs, student.questionIndex, false);
  }
}

// ---------------------------------------------------------------- the test's own time

/** Milliseconds the class was paused between two moments. */
export function pausedMsBetween(lanes, fromMs, toMs) {
  let paused = 0;
  for (const pause of lanes.pauses) {
    const end = pause.to === null ? toMs : Math.min(pause.to, toMs);
    paused += Math.max(0, end - Math.max(pause.from, fromMs));
  }
  return paused;
}

/** Seconds of test time (the start to this moment, pauses left out); 0 before the start. */
export function testSecondsAt(lanes, atMs) {
  if (lanes.startedMs === null || atMs <= lanes.startedMs) return 0;
  return (atMs - lanes.startedMs - pausedMsBetween(lanes, lanes.startedMs, atMs)) / 1000;
}

function seconds(lanes, fromMs, toMs) {
  return Math.max(0, testSecondsAt(lanes, toMs) - testSecondsAt(lanes, fromMs));
}

/** Seconds a passage has in the guide, for an attempt with this much extra time. */
export function passageSeconds(lanes, extraSeconds = 0) {
  return (lanes.limitSeconds + (extraSeconds || 0)) / Math.max(1, lanes.passages.length);
}

/** The test-time seconds by which the guide is done with the question at `index`; null for one it does not know. */
export function guideSeconds(lanes, index, extraSeconds = 0) {
  const span = passageSeconds(lanes, extraSeconds);
  for (const [passage, questions] of lanes.passages.entries()) {
    const place = questions.indexOf(index);
    if (place >= 0) return span * (passage + (place + 1) / questions.length);
  }
  return null;
}

/** The guide as a line: [test seconds, question index] at each passage's start and end. */
export function guidePoints(lanes, extraSeconds = 0) {
  const span = passageSeconds(lanes, extraSeconds);
  return lanes.passages.flatMap((questions, passage) => [
    [span * passage, questions[0]],
    [span * (passage + 1), questions.at(-1)],
  ]);
}

// ---------------------------------------------------------------- stays on a question

function currentIndex(lane) {
  return lane.moves.length ? lane.moves.at(-1).index : 0;
}

/**
 * The student's stays, in order: {index, from, to} in server ms (`to` null for the one going on), consecutive moves
 * to the same question merged. Everyone begins on the first question when their attempt starts.
 */
export function staysOf(lanes, lane) {
  const begin = lane.startedMs ?? lanes.startedMs;
  const stays = [];
  const first = lanes.passages[0]?.[0] ?? 0;
  if (begin !== null && (!lane.moves.length || lane.moves[0].at > begin)) {
    stays.push({ index: first, from: begin, to: null });
  }
  for (const move of lane.moves) {
    const last = stays.at(-1);
    if (last && last.index === move.index) continue;
    if (last) last.to = Math.max(last.from, move.at);
    stays.push({ index: move.index, from: move.at, to: null });
  }
  return stays;
}

/** The median of some numbers (the mean of the two middle ones for an even count); null for none. */
export function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The class's median test-time seconds on each question, over the students whose stays on it have ended. */
export function classMedians(lanes) {
  const times = new Map(); // index -> [seconds of each student]
  for (const lane of lanes.students.values()) {
    const spent = new Map();
    for (const stay of staysOf(lanes, lane)) {
      if (stay.to !== null) spent.set(stay.index, (spent.get(stay.index) || 0) + seconds(lanes, stay.from, stay.to));
    }
    for (const [index, total] of spent) {
      if (total > 0) times.set(index, [...(times.get(index) || []), total]);
    }
  }
  const medians = new Map();
  for (const [index, list] of times) {
    if (list.length >= PACE_RULES.medianStudents) medians.set(index, median(list));
  }
  return medians;
}

/**
 * Where a working student stands at this server moment: their question, how long it has held them and since their
 * last answer, the class's median for it, how far behind the guide they are (negative: ahead), and the warnings.
 * null for a student with no open attempt, or before the start.
 */
export function laneState(lanes, student, nowMs, medians = classMedians(lanes)) {
  if (student.attemptStatus !== "IN_PROGRESS" || lanes.startedMs === null) return null;
  const lane = laneFor(lanes, student.id);
  const current = staysOf(lanes, lane).at(-1);
  if (!current) return null;
  const lastAnswer = lane.moves.filter((move) => move.answered).at(-1);
  const quietFrom = Math.max(current.from, lastAnswer ? lastAnswer.at : -Infinity);
  const dwellSeconds = seconds(lanes, current.from, nowMs);
  const quietSeconds = seconds(lanes, quietFrom, nowMs);
  const medianSeconds = medians.get(current.index) ?? null;
  const guide = guideSeconds(lanes, current.index, student.extraSeconds);
  const lagSeconds = guide === null ? null : testSecondsAt(lanes, nowMs) - guide;
  const minute = lanes.minuteSeconds;
  const stuckBy =
    medianSeconds !== null &&
    dwellSeconds > PACE_RULES.stuckFactor * medianSeconds &&
    dwellSeconds >= PACE_RULES.stuckFloorMinutes * minute
      ? "median"
      : quietSeconds > PACE_RULES.quietMinutes * minute
        ? "quiet"
        : null;
  return {
    index: current.index,
    dwellSeconds,
    quietSeconds,
    medianSeconds,
    lagSeconds,
    behind: lagSeconds !== null && lagSeconds > PACE_RULES.behindMinutes * minute,
    stuck: stuckBy !== null,
    stuckBy,
  };
}

/** The student's path for the lane's picture: [[test seconds, question index]] as steps, up to this moment. */
export function lanePoints(lanes, student, nowMs) {
  const points = [];
  for (const stay of staysOf(lanes, laneFor(lanes, student.id))) {
    const to = stay.to ?? nowMs;
    points.push([testSecondsAt(lanes, stay.from), stay.index], [testSecondsAt(lanes, to), stay.index]);
  }
  return points;
}

/** The student's answers as the lanes last heard them (question id → answer), for the projection. */
export function answersOf(lanes, studentId) {
  return laneFor(lanes, studentId).answers;
}
