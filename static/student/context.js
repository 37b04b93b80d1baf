// What every part of the test page shares: the page's config (the paper is swapped in when the test
// starts), the page's own state, and lookups into the paper.

import { emptyState } from "./state.js";

export const config = JSON.parse(document.getElementById("student-test-config").textContent);
export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

export const TEST_PHASES = new Set(["test", "timeup", "submitting"]);

export const page = {
  phase: "connecting", // connecting | not-open | waiting | test | timeup | submitting | finished | closed
  sessionStatus: config.status,
  attemptId: config.attempt ? config.attempt.id : null,
  state: emptyState(),
  paperLoaded: Boolean(config.paper_loaded),
  paperPromise: null,
  uiBound: false,
  positionRestored: false,
  ready: false, // `connected` received on the current socket
  inFlight: new Set(),
  appliedSeq: new Map(), // replacement key → seq of the newest acknowledged event for it
  committed: new Map(), // question id → the answer last queued or known to the server
  textTimers: new Map(),
  current: { passageIndex: 0, questionId: null },
  pane: "passage", // on a narrow screen, the one pane shown: passage | questions
  lastPosition: null,
  justHighlighted: false,
  refusedAsLate: 0, // changes the server refused because the test had ended
  copiedHere: "", // the text last copied on this page: pasting it is not a violation
  lastStatusCheck: 0,
  banner: { key: "", text: "" },
  paused: false, // the teacher paused the session: the paper is hidden, the clock stopped, nothing is sent
  pause: { reason: null, pausedAt: null },
  pauseAnnounced: false,
  everConnected: false,
  holdForSync: false, // an event was refused as paused before the page knew: send nothing until the next state sync
  syncSeq: 0, // state syncs received: only the newest one is applied once the paper has loaded
  focusBeforePause: null,
};

export const questions = () => config.questions;
export const questionById = (id) => config.questions.find((q) => String(q.id) === String(id));
export const questionByNumber = (n) => config.questions.find((q) => q.number === n);
export const passageById = (id) => config.passages.find((p) => String(p.id) === String(id));
export const questionEl = (id) => document.getElementById(`question-${id}`);
export const paperMinutes = (minutes) => minutes * (config.seconds_per_minute || 60);
export const RUNNING_STATUSES = new Set(["IN_PROGRESS", "PAUSED"]);
/** Changes are taken only while the test runs (not while paused, once time is up or while it is being submitted). */
export const acceptingInput = () => page.phase === "test" && !page.paused;
