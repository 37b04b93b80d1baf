// What the page says about the teacher's live controls, as plain functions of the server's messages (no page
// state here, so the module tests can run them alone): time given or taken back, a reopened attempt, and the
// list of the teacher's messages (each once, oldest first, only those to the class or to this student).

import { plural } from "../common/format.js";

/**
 * Seconds in words, as the countdown shows them: "5 minutes", "1 minute 30 seconds", "45 seconds" (the clock's
 * seconds, as the teacher gave them, even on a test server whose paper minutes are shorter).
 */
export function durationText(seconds) {
  const total = Math.round(Math.abs(Number(seconds) || 0));
  const minutes = Math.floor(total / 60);
  const rest = total % 60;
  if (!minutes) return plural(rest, "second");
  return rest ? `${plural(minutes, "minute")} ${plural(rest, "second")}` : plural(minutes, "minute");
}

const withReason = (text, reason) => (reason ? `${text} Reason: ${reason}` : text);

const sameId = (a, b) => a !== null && a !== undefined && b !== null && b !== undefined && String(a) === String(b);

/** Whether a `time_extended` is this student's: theirs alone, or the whole class's (`student_id` null). */
export function extensionConcerns(event, userId) {
  return event.student_id === null || event.student_id === undefined || sameId(event.student_id, userId);
}

/** The notice for a `time_extended` (for this student or the class). */
export function extraTimeText(event) {
  const seconds = Number(event.seconds) || 0;
  const amount = durationText(seconds);
  const forClass = event.student_id === null || event.student_id === undefined;
  const whom = forClass ? "the class" : "you";
  const more = /^\d+ \w+$/.test(amount) ? amount.replace(" ", " more ") : `${amount} more`; // "5 more minutes"
  const text =
    seconds >= 0
      ? `Your teacher gave ${whom} ${more}.`
      : `Your teacher took ${amount} off ${forClass ? "the class's" : "your"} time.`;
  return withReason(text, event.reason);
}

/** The notice for an `attempt_reopened`: how long the student now has, on the server's clock. */
export function reopenText(event) {
  const left = (Date.parse(event.ends_at) - Date.parse(event.server_now)) / 1000;
  if (!Number.isFinite(left)) return "Your teacher reopened your test.";
  return `Your teacher reopened your test: ${durationText(Math.max(0, left))}.`;
}

/** A teacher message from the REST list ({id, …}) or the socket ({message_id, …}) in one shape. */
export function normalizeMessage(raw) {
  const id = raw.message_id ?? raw.id;
  return { id, text: String(raw.text ?? ""), studentId: raw.student_id ?? null, sentAt: raw.sent_at || null };
}

/** The teacher's messages this student may see, each once, oldest first. */
export class MessageLog {
  constructor(userId) {
    this.userId = userId;
    this.byId = new Map();
  }

  /** Add a message (either shape); returns it when it is new and for this student, else null. */
  add(raw) {
    const message = normalizeMessage(raw);
    if (message.id === null || message.id === undefined || this.byId.has(String(message.id))) return null;
    if (message.studentId !== null && !sameId(message.studentId, this.userId)) return null;
    this.byId.set(String(message.id), message);
    return message;
  }

  has(id) {
    return this.byId.has(String(id));
  }

  get size() {
    return this.byId.size;
  }

  /** Oldest first: by `sent_at`, then by id (numeric ids in number order). */
  list() {
    const time = (m) => (m.sentAt ? Date.parse(m.sentAt) : 0);
    const byId = (a, b) => {
      const [x, y] = [Number(a.id), Number(b.id)];
      return Number.isFinite(x) && Number.isFinite(y) ? x - y : String(a.id).localeCompare(String(b.id));
    };
    return [...this.byId.values()].sort((a, b) => time(a) - time(b) || byId(a, b));
  }
}
