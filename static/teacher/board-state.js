// The live monitor's board as data, and the small rules every handler shares: one record per student, what a
// change touched, the server's clock, each attempt's own deadline and the offline time that runs while a student
// is away. No DOM and no network here.

export const key = (id) => String(id);

// The violations that last until the student comes back (attempts.models.DEPARTURE_TYPES).
const DEPARTURE_TYPES = new Set(["TAB_SWITCH", "WINDOW_BLUR", "FULLSCREEN_EXIT"]);

// The session's statuses in which attempts are open (the clock runs, or is frozen) and in which messages go out;
// the page's config gives the server's own lists.
const RUNNING = ["IN_PROGRESS", "PAUSED"];
const OPEN = ["WAITING_FOR_STUDENTS", "IN_PROGRESS", "PAUSED"];

/**
 * questionNumbers: question id → its number in the paper, for the feed ("answered Q3"); pausedAt: when the
 * session was paused, if it is; givenBack: student id → offline seconds already given back (the server's log);
 * giveBackReason: the reason a "give back" extra-time call carries, so the board can tell those apart;
 * runningStatuses, openStatuses: where attempts are open, and where messages go out.
 */
export function createBoard({
  sessionId,
  status,
  questionCount,
  questionNumbers = {},
  pausedAt = null,
  givenBack = {},
  giveBackReason = "Offline time given back",
  runningStatuses = RUNNING,
  openStatuses = OPEN,
  roster = [],
  essays = [],
}) {
  return {
    session: { id: sessionId, status, ends_at: null, paused_at: status === "PAUSED" ? pausedAt : null },
    counts: { participants: null, connected: null, submitted: null, violations_total: null },
    students: new Map(), // String(student_id) -> student
    clockOffsetMs: 0, // server clock minus local clock
    snapshotAtMs: 0, // the server's time of the last snapshot
    questionCount,
    questionNumbers,
    essays: new Map(essays.map((essay) => [key(essay.id), essay])), // a Writing paper's tasks, by question id
    givenBack: new Map(Object.entries(givenBack).map(([id, seconds]) => [key(id), seconds])),
    giveBackReason,
    rosterRank: new Map(roster.map((id, index) => [key(id), index])), // the class page's order, by surname
    running: new Set(runningStatuses),
    open: new Set(openStatuses),
    replayBuffer: null, // events received while a snapshot is loading
  };
}

export function blankStudent(id, name) {
  return {
    id,
    name: name || `Student ${id}`,
    attemptId: null,
    connected: false,
    joined: false, // connected at least once
    connections: 0, // open sockets: 2 or more is "2 devices"
    attemptStatus: null,
    submitReason: null, // STUDENT, TEACHER or TIME_UP, when heard live
    reopened: false,
    answered: 0,
    flagged: new Set(),
    violations: 0,
    violationList: null, // [{id, type, timestamp, verdict, note, away_seconds}] once an attempt body was read
    away: null, // {violationId, since}: the departure the student has not come back from yet
    lastAwaySeconds: null, // how long the last departure they came back from lasted
    violationsConfirmed: 0,
    highlights: new Map(), // String(highlight_id) -> text, in the order they were made
    words: new Map(), // an essay's String(question_id) -> words written so far
    passageIndex: null,
    questionIndex: null,
    score: null,
    band: null,
    extraSeconds: 0, // the attempt's ends_at minus the session's
    offlineBase: 0, // offline seconds counted up to offlineSince (or in all, when not counting)
    offlineSince: null, // server ms since which the student is away and it counts
    givenBack: 0, // offline seconds already given back as extra time
    givingBack: new Set(), // ends_at (ms) of give-backs made from this page, until their event arrives
    notice: null, // {text, kind}: the last control's result, shown on the card
    flash: false, // a new violation: the card flashes once
  };
}

/** A violation item of an attempt body, as the board keeps it. */
export function violationOf(v) {
  return {
    id: v.id ?? null,
    type: v.type,
    timestamp: v.timestamp,
    verdict: v.verdict ?? null,
    note: v.note ?? null,
    away_seconds: v.away_seconds ?? null,
  };
}

/** A violation that began (from its `tab_violation`): a departure lasts until its return. */
export function departureBegan(student, message) {
  if (DEPARTURE_TYPES.has(message.violation_type)) {
    student.away = { violationId: message.violation_id ?? null, since: message.timestamp };
  }
}

/** The student's departures as their violation list has them: the one still going on, and the last one ended. */
export function takeDepartures(student) {
  const departures = (student.violationList || []).filter((v) => DEPARTURE_TYPES.has(v.type));
  const last = departures.at(-1);
  student.away = last && last.away_seconds === null ? { violationId: last.id, since: last.timestamp } : null;
  const ended = departures.filter((v) => v.away_seconds !== null).at(-1);
  student.lastAwaySeconds = ended ? ended.away_seconds : null;
}

/** What one change did: the view redraws these, adds the feed lines, and reloads when asked. */
export function noChanges() {
  return {
    students: new Set(),
    order: false,
    header: false,
    feed: [],
    refresh: false,
    attempts: new Set(), // attempt ids whose body the board needs again (a review of a violation it has not seen)
    serverError: null,
  };
}

export function touch(changes, student) {
  changes.students.add(key(student.id));
}

export function touchAll(board, changes) {
  for (const student of board.students.values()) touch(changes, student);
}

export function studentFor(board, changes, id, name) {
  let student = board.students.get(key(id));
  if (!student) {
    student = blankStudent(id, name);
    student.givenBack = board.givenBack.get(key(id)) || 0;
    board.students.set(key(id), student);
    changes.order = true;
  } else if (name && student.name !== name) {
    student.name = name;
  }
  return student;
}

export function takeAttempt(student, message) {
  if (message.attempt_id !== undefined && message.attempt_id !== null) student.attemptId = message.attempt_id;
  if (!student.attemptStatus) student.attemptStatus = "IN_PROGRESS";
}

// ---------------------------------------------------------------- the server's clock

export function syncClock(board, serverNow, localMs = Date.now()) {
  const server = Date.parse(serverNow);
  if (!Number.isNaN(server)) board.clockOffsetMs = server - localMs;
}

export function serverNowMs(board, localMs = Date.now()) {
  return localMs + board.clockOffsetMs;
}

/** When a message says it happened, on the server's clock (its own time field, else its timestamp, else now). */
export function momentOf(board, message, ...fields) {
  for (const field of [...fields, "timestamp"]) {
    const value = Date.parse(message[field]);
    if (!Number.isNaN(value)) return value;
  }
  return serverNowMs(board);
}

/** The attempt's own deadline (ms): the session's plus the attempt's extra time; null before the start. */
export function ownEndsMs(board, student) {
  const sessionEnds = Date.parse(board.session.ends_at);
  return Number.isNaN(sessionEnds) ? null : sessionEnds + 1000 * (student.extraSeconds || 0);
}

/** Seconds from the session's deadline to this moment: an attempt's extra time when its deadline is `endsAt`. */
export function extraFor(board, endsAt) {
  const sessionEnds = Date.parse(board.session.ends_at);
  const ends = Date.parse(endsAt);
  return Number.isNaN(sessionEnds) || Number.isNaN(ends) ? 0 : Math.round((ends - sessionEnds) / 1000);
}

// ---------------------------------------------------------------- offline time

/** Offline time counts while the attempt is open, the session runs unpaused and the student has no socket. */
export function offlineCounts(board, student) {
  return student.attemptStatus === "IN_PROGRESS" && !student.connected && board.session.status === "IN_PROGRESS";
}

/** The student's offline seconds at this server moment (whole seconds, as the server counts them). */
export function offlineSecondsAt(student, atMs) {
  const running = student.offlineSince === null ? 0 : Math.max(0, atMs - student.offlineSince) / 1000;
  return Math.floor(student.offlineBase + running);
}

/**
 * After any change: start or stop each student's offline count so that it runs exactly while offlineCounts
 * says so, from `atMs` (when the change happened on the server). Returns the students whose count changed.
 */
export function settleOffline(board, atMs, changes) {
  for (const student of board.students.values()) {
    const counting = student.offlineSince !== null;
    const should = offlineCounts(board, student);
    if (counting && !should) {
      student.offlineBase += Math.max(0, atMs - student.offlineSince) / 1000;
      student.offlineSince = null;
      touch(changes, student);
    } else if (!counting && should) {
      student.offlineSince = Math.max(atMs, board.snapshotAtMs);
      touch(changes, student);
    }
  }
}

/** Offline seconds not yet given back (what the "give back" button offers). */
export function offlineToGive(student, atMs) {
  return Math.max(0, offlineSecondsAt(student, atMs) - student.givenBack);
}
