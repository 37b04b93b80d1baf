// The live monitor's board as data: the session, the live counts and one record per student, changed only
// by the server's WebSocket messages and by REST snapshots. No DOM and no network here. Every change
// returns what it touched (which cards, the header, the card order), the feed lines a teacher reads and
// whether a fresh snapshot is wanted; the view draws that.
//
// Events that arrive while a snapshot is loading are kept and replayed on top of it, so the board is
// never older than the last event.

import { formatBand, formatRemaining, plural, truncate } from "../common/format.js";

export const VIOLATION_LABELS = {
  TAB_SWITCH: "switched tab",
  WINDOW_BLUR: "left the window",
  FULLSCREEN_EXIT: "left full screen",
  COPY: "copied text",
  PASTE: "pasted text",
};

const COUNT_NAMES = ["participants", "connected", "submitted", "violations_total"];
const IDLE_COUNTDOWN = {
  SCHEDULED: "Not started",
  WAITING_FOR_STUDENTS: "Not started",
  COMPLETED: "Finished",
  CANCELLED: "Cancelled",
};

export const key = (id) => String(id);

/** questionNumbers: question id → its number in the paper, for the feed ("answered Q3"). */
export function createBoard({ sessionId, status, questionCount, questionNumbers = {} }) {
  return {
    session: { id: sessionId, status, ends_at: null },
    counts: { participants: null, connected: null, submitted: null, violations_total: null },
    students: new Map(), // String(student_id) -> student
    clockOffsetMs: 0, // server clock minus local clock
    questionCount,
    questionNumbers,
    replayBuffer: null, // events received while a snapshot is loading
  };
}

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
    flash: false, // a new violation: the card flashes once
  };
}

/** What one change did: the view redraws these, adds the feed lines, and reloads when asked. */
export function noChanges() {
  return { students: new Set(), order: false, header: false, feed: [], refresh: false, serverError: null };
}

function touch(changes, student) {
  changes.students.add(key(student.id));
}

function feed(changes, kind, text, { studentId = null, timestamp = null, minor = false } = {}) {
  changes.feed.push({ kind, text, studentId, timestamp, minor });
}

function studentFor(board, changes, id, name) {
  let student = board.students.get(key(id));
  if (!student) {
    student = blankStudent(id, name);
    board.students.set(key(id), student);
    changes.order = true;
  } else if (name && student.name !== name) {
    student.name = name;
  }
  return student;
}

export function syncClock(board, serverNow, localMs = Date.now()) {
  const server = Date.parse(serverNow);
  if (!Number.isNaN(server)) board.clockOffsetMs = server - localMs;
}

function takeAttempt(student, message) {
  if (message.attempt_id !== undefined && message.attempt_id !== null) student.attemptId = message.attempt_id;
  if (!student.attemptStatus) student.attemptStatus = "IN_PROGRESS";
}

function questionLabel(board, questionId) {
  const number = board.questionNumbers[key(questionId)];
  return number ? `Q${number}` : "a question";
}

function applyLifecycle(board, message, replay, changes) {
  if (message.status) board.session.status = message.status;
  if (message.server_now) syncClock(board, message.server_now);
  changes.header = true;
}

function presenceChanged(board, message, replay, changes, { connected, kind, verb }) {
  const student = studentFor(board, changes, message.student_id, message.student_name);
  student.connected = connected;
  if (message.connected_count !== undefined) board.counts.connected = message.connected_count;
  touch(changes, student);
  changes.header = true;
  if (!replay) {
    feed(changes, kind, `${student.name} ${verb}.`, { studentId: student.id, timestamp: message.timestamp });
  }
}

// Each handler: (board, message, replay, changes). A replayed event (one already seen, applied again on
// top of a newer snapshot) changes the state only: no feed line, no flash, no reload.

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
    if (!replay) feed(changes, "session", "The waiting room is open.", { timestamp: message.timestamp });
  },
  session_started(board, message, replay, changes) {
    board.session.status = "IN_PROGRESS";
    board.session.started_at = message.started_at;
    board.session.ends_at = message.ends_at;
    if (message.server_now) syncClock(board, message.server_now);
    for (const id of message.connected_students || []) {
      const student = studentFor(board, changes, id);
      if (!student.attemptStatus) student.attemptStatus = "IN_PROGRESS";
      touch(changes, student);
    }
    changes.header = true;
    if (!replay) {
      feed(changes, "session", `The test started for ${(message.connected_students || []).length} student(s).`, {
        timestamp: message.timestamp,
      });
      changes.refresh = true; // attempt ids for the timeline links
    }
  },
  session_completed(board, message, replay, changes) {
    board.session.status = "COMPLETED";
    board.session.completed_at = message.completed_at;
    changes.header = true;
    if (!replay) {
      const why = message.reason === "TIME_UP" ? "time is up" : "ended by the teacher";
      feed(changes, "session", `The session is completed (${why}).`, { timestamp: message.timestamp });
      changes.refresh = true; // final scores
    }
  },
  session_cancelled(board, message, replay, changes) {
    board.session.status = "CANCELLED";
    changes.header = true;
    if (!replay) feed(changes, "session", "The session is cancelled.", { timestamp: message.timestamp });
  },
  session_status_changed: applyLifecycle,
  real_time_stats(board, message, replay, changes) {
    for (const name of COUNT_NAMES) {
      if (message[name] !== undefined) board.counts[name] = message[name];
    }
    changes.header = true;
  },
  participant_joined(board, message, replay, changes) {
    presenceChanged(board, message, replay, changes, { connected: true, kind: "joined", verb: "connected" });
  },
  participant_disconnected(board, message, replay, changes) {
    presenceChanged(board, message, replay, changes, { connected: false, kind: "left", verb: "disconnected" });
  },
  answer_submitted(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    if (message.answered_count !== undefined) student.answered = message.answered_count;
    touch(changes, student);
    if (!replay) {
      const cleared = !String(message.answer ?? "").trim();
      const label = questionLabel(board, message.question_id);
      feed(changes, "answer", `${student.name} ${cleared ? "cleared" : "answered"} ${label}.`, {
        studentId: student.id,
        timestamp: message.timestamp,
        minor: true,
      });
    }
  },
  tab_violation(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    const before = student.violations;
    student.violations = message.violations_count ?? student.violations + 1;
    if (!replay && student.violations > before) student.flash = true;
    touch(changes, student);
    if (!replay) {
      const what = VIOLATION_LABELS[message.violation_type] || String(message.violation_type).toLowerCase();
      feed(changes, "violation", `${student.name} ${what}.`, { studentId: student.id, timestamp: message.timestamp });
    }
  },
  text_highlighted(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    student.highlights.delete(key(message.highlight_id));
    student.highlights.set(key(message.highlight_id), message.text);
    touch(changes, student);
    if (!replay) {
      feed(changes, "highlight", `${student.name} highlighted “${truncate(message.text, 60)}”.`, {
        studentId: student.id,
        timestamp: message.timestamp,
        minor: true,
      });
    }
  },
  highlight_removed(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    student.highlights.delete(key(message.highlight_id));
    touch(changes, student);
    if (!replay) {
      feed(changes, "highlight", `${student.name} removed a highlight.`, {
        studentId: student.id,
        timestamp: message.timestamp,
        minor: true,
      });
    }
  },
  question_flagged(board, message, replay, changes) {
    const student = studentFor(board, changes, message.student_id);
    takeAttempt(student, message);
    if (message.flagged) student.flagged.add(key(message.question_id));
    else student.flagged.delete(key(message.question_id));
    touch(changes, student);
    if (!replay) {
      const label = questionLabel(board, message.question_id);
      feed(changes, "flag", `${student.name} ${message.flagged ? "flagged" : "unflagged"} ${label}.`, {
        studentId: student.id,
        timestamp: message.timestamp,
        minor: true,
      });
    }
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
    touch(changes, student);
    if (!replay) {
      const result = `${message.score}/${board.questionCount}, band ${formatBand(message.band)}`;
      feed(changes, "submitted", `${student.name} submitted: ${result}.`, {
        studentId: student.id,
        timestamp: message.timestamp,
      });
    }
  },
  error(board, message, replay, changes) {
    changes.serverError = message;
  },
};

/** Apply one message from the server. Types the board does not know are ignored (the contract says so). */
export function receive(board, message) {
  const changes = noChanges();
  const handler = HANDLERS[message.type];
  if (!handler) return changes;
  if (board.replayBuffer) board.replayBuffer.push(message);
  handler(board, message, false, changes);
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
 * Replace the board with a REST snapshot: the session, its stats and the attempts (flags and highlights),
 * then replay the events received since the snapshot began. `sentMs`/`receivedMs` bracket the session
 * request, for the clock. Returns null when a newer snapshot began meanwhile (this one is stale).
 */
export function applySnapshot(board, token, { session, stats, attempts = [], sentMs, receivedMs }) {
  if (board.replayBuffer !== token) return null;
  const changes = noChanges();
  syncClock(board, session.server_now, (sentMs + receivedMs) / 2);
  board.session = { ...board.session, ...session };
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
  board.students = next;
  for (const message of token) HANDLERS[message.type](board, message, true, changes);
  for (const student of board.students.values()) touch(changes, student);
  changes.order = true;
  changes.header = true;
  return changes;
}

/** A transition the teacher asked for went through: the session as the API answered, and a feed line. */
export function applyActionResult(board, session, doneText) {
  const changes = noChanges();
  if (session && session.status) {
    board.session = { ...board.session, ...session };
    if (session.server_now) syncClock(board, session.server_now);
  }
  changes.header = true;
  feed(changes, "session", doneText);
  return changes;
}

// ---------------------------------------------------------------- what a teacher reads on a card

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
  return student.attemptStatus === "SUBMITTED" && student.score !== null && student.score !== undefined
    ? `Submitted: ${student.score} of ${questionCount} correct, band ${formatBand(student.band)}`
    : statusText(student, questionCount);
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

/** Cards in board order: by name, then by id. */
export function orderedStudents(board) {
  return [...board.students.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || key(a.id).localeCompare(key(b.id)),
  );
}

/**
 * The shared countdown on the server's clock: {text, level} where level is "" while running, "last10"
 * and "last5" near the end, and "idle" when no test is running.
 */
export function countdownState(board, nowMs = Date.now()) {
  const { status, ends_at: endsAt } = board.session;
  if (status === "IN_PROGRESS" && endsAt) {
    const remaining = Date.parse(endsAt) - (nowMs + board.clockOffsetMs);
    let level = "";
    if (remaining <= 5 * 60 * 1000) level = "last5";
    else if (remaining <= 10 * 60 * 1000) level = "last10";
    return { text: remaining > 0 ? formatRemaining(remaining, { padMinutes: true }) : "Time up", level };
  }
  return { text: IDLE_COUNTDOWN[status] || "--:--", level: "idle" };
}

/** The hint beside the controls: how many students are ready in the waiting room. */
export function controlHint(board) {
  if (board.session.status !== "WAITING_FOR_STUDENTS") return "";
  const connected = board.counts.connected;
  return connected ? `${plural(connected, "student")} ready.` : "No student is connected yet.";
}
