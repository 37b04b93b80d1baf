// The local outbox: every event the student makes waits here (in localStorage, keyed by
// session and user) until the server acknowledges its event_id. Nothing is lost offline or on reload.

const VERSION = 1;

/** A fresh event id: crypto.randomUUID where the page is a secure context, else a v4 UUID by hand. */
export function newEventId() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === "function") {
    return globalThis.crypto.randomUUID();
  }
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `scope` is the page's (config.scope: "session-7", or "practice-attempt-9"); a bare number names a session. */
export function outboxKey(scope, userId) {
  const where = typeof scope === "number" ? `session-${scope}` : scope;
  return `ielts.outbox.v${VERSION}.${where}.user-${userId}`;
}

/** Events superseded by a newer one of the same type need not be replayed (only the position is). */
const SUPERSEDED_BY_NEXT = new Set(["progress_update"]);

export class Outbox {
  /** `now`: the clock events are stamped with (the page passes the server's, as its countdown keeps it). */
  constructor(key, storage = globalThis.localStorage, { now = () => Date.now() } = {}) {
    this.now = now;
    this.key = key;
    this.storage = storage;
    this.entries = this.#load();
    // Creation order, increasing for the life of the page (a resend may be applied after a newer event).
    this.seq = this.entries.reduce((max, e) => Math.max(max, e.seq || 0), 0);
    this.listeners = new Set();
    this.persistent = true;
  }

  #load() {
    try {
      const raw = this.storage.getItem(this.key);
      const stored = raw ? JSON.parse(raw) : null;
      return stored && Array.isArray(stored.entries) ? stored.entries : [];
    } catch {
      return [];
    }
  }

  #save() {
    try {
      if (this.entries.length) {
        this.storage.setItem(this.key, JSON.stringify({ v: VERSION, entries: this.entries }));
      } else {
        this.storage.removeItem(this.key);
      }
      this.persistent = true;
    } catch (error) {
      // Storage full or disabled: the events stay in memory and are still sent; a reload would lose them.
      this.persistent = false;
      console.warn("outbox: could not persist", error);
    }
    for (const listener of this.listeners) listener(this);
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  /** Queue an event; returns the entry (its event_id is what the server acknowledges). */
  add(type, data, extra = {}) {
    this.seq += 1;
    // `replacesPending`: the new event makes those queued for the same question useless (an essay saved as it is
    // typed: its newest text is all that counts).
    const { replacesPending = false, ...fields } = extra;
    const entry = { event_id: newEventId(), type, data, seq: this.seq, created_at: this.now(), ...fields };
    if (SUPERSEDED_BY_NEXT.has(type)) {
      this.entries = this.entries.filter((e) => e.type !== type);
    } else if (replacesPending) {
      const key = replacementKey(entry);
      this.entries = this.entries.filter((e) => replacementKey(e) !== key);
    }
    this.entries.push(entry);
    this.#save();
    return entry;
  }

  get(eventId) {
    return this.entries.find((e) => e.event_id === eventId) || null;
  }

  /** The server has the event: remove it. Returns the removed entry, or null if it was not (or no longer) here. */
  ack(eventId) {
    const entry = this.get(eventId);
    if (!entry) return null;
    this.entries = this.entries.filter((e) => e !== entry);
    this.#save();
    return entry;
  }

  /** Drop an event the server refused for good (it would never be accepted). */
  drop(eventId) {
    return this.ack(eventId);
  }

  /** A highlight got its server id: removals and notes queued for it (by reference) can now be sent. */
  resolveHighlight(eventId, highlightId) {
    let changed = false;
    for (const entry of this.entries) {
      if (REFERS_TO_HIGHLIGHT.has(entry.type) && entry.data.ref === eventId) {
        const { ref, ...rest } = entry.data;
        entry.data = { ...rest, highlight_id: highlightId };
        changed = true;
      }
    }
    if (changed) this.#save();
  }

  /** The highlight event was refused: its queued removal or note has nothing to act on. */
  dropHighlightRefs(eventId) {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => !(REFERS_TO_HIGHLIGHT.has(e.type) && e.data.ref === eventId));
    if (this.entries.length !== before) this.#save();
  }

  clear() {
    this.entries = [];
    this.#save();
  }

  pending() {
    return this.entries.slice();
  }

  get size() {
    return this.entries.length;
  }

  /** Entries that change what a teacher would count as the student's work (not positions or violations). */
  get workSize() {
    return this.entries.filter((e) => e.type !== "progress_update" && e.type !== "tab_violation").length;
  }
}

// Events that name a highlight: made before its ack, they name it by the event that made it (`ref`) until then.
const REFERS_TO_HIGHLIGHT = new Set(["highlight_removed", "highlight_noted"]);

/**
 * What goes on the wire: the contract's message, stamped with when the student made it (`made_at`, optional for
 * the server: a replayed event shows at that time on the teacher's feed). A removal waiting for its highlight id
 * or a note waiting for it is not ready yet.
 */
export function wireMessage(entry) {
  if (REFERS_TO_HIGHLIGHT.has(entry.type) && entry.data.highlight_id == null) return null;
  const madeAt = new Date(entry.created_at);
  const data = Number.isNaN(madeAt.getTime()) ? entry.data : { ...entry.data, made_at: madeAt.toISOString() };
  return { type: entry.type, data, event_id: entry.event_id };
}

/** Events where a newer one for the same question replaces the older: their key, else null. */
export function replacementKey(entry) {
  if (entry.type === "answer_submitted") return `answer:${entry.data.question_id}`;
  if (entry.type === "question_flagged") return `flag:${entry.data.question_id}`;
  return null;
}

/**
 * What to send now, in order: the entries not in flight and ready for the wire, at most `limit` in flight in
 * all; `stale` are those a newer event for the same question has already replaced on the server (to drop).
 */
export function sendPlan(entries, { inFlight = new Set(), appliedSeq = new Map(), limit = Infinity } = {}) {
  const send = [];
  const stale = [];
  let busy = inFlight.size;
  for (const entry of entries) {
    if (busy >= limit) break;
    if (inFlight.has(entry.event_id)) continue;
    const key = replacementKey(entry);
    if (key && (appliedSeq.get(key) ?? -1) > (entry.seq || 0)) {
      stale.push(entry);
      continue;
    }
    if (!wireMessage(entry)) continue;
    send.push(entry);
    busy += 1;
  }
  return { send, stale };
}

// The server's refusals of an event, by what the page does with it.
// Too late: the attempt or the session is over; the event can never count.
const CLOSED_ERRORS = new Set(["time_up", "attempt_closed", "already_submitted", "not_in_progress", "session_not_in_progress"]);
// Worth sending again soon: the server was busy, failed for a moment, or raced a copy of the same event
// (a resend is then acknowledged as a duplicate, with the highlight id where there is one).
const RETRY_ERRORS = new Set(["rate_limited", "server_error", "duplicate_event"]);
// The teacher paused the session: not stored and its event_id not used up; sent again after the resume.
const HOLD_ERRORS = new Set(["session_paused"]);

/** "retry" (soon), "hold" (keep it until the session runs again), "closed" (too late) or "drop" (refused for good). */
export function refusalAction(code) {
  if (RETRY_ERRORS.has(code)) return "retry";
  if (HOLD_ERRORS.has(code)) return "hold";
  if (CLOSED_ERRORS.has(code)) return "closed";
  return "drop";
}
