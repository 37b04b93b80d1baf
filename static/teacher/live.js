// The live monitor: controls, the shared countdown, one card per student and an event feed.
//
// The board changes from WebSocket events and from the answers of the teacher's own controls. On every
// (re)connect it reloads a snapshot from the REST API, and events that arrive meanwhile are replayed on top,
// so it is never stale; the feed is read again from the server's log then too. This module wires the board's
// state (board.js), its view (board-view.js), the feed (feed.js), the class and card controls, their dialog and
// the socket.

import { api, ApiError } from "../common/api.js";
import { singleFlight } from "../common/single-flight.js";
import { LiveSocket, socketUrl } from "../common/socket.js";
import { applyAttempt, applySnapshot, beginSnapshot, createBoard, endSnapshot, receive } from "./board.js";
import { serverNowMs } from "./board-state.js";
import { createBoardView } from "./board-view.js";
import { createCardControls } from "./card-controls.js";
import { createFormDialog } from "./control-dialog.js";
import { createControls } from "./controls.js";
import { createFeed } from "./feed.js";
import { createLanesView } from "./lanes-view.js";
import { createLanes, recordLane, takeLaneSnapshot } from "./pace.js";
import { createListeningPart } from "./listening-part.js";
import { fetchSnapshot } from "./snapshot.js";

const config = JSON.parse(document.getElementById("live-config").textContent);
const SOCKET_TIMINGS = { heartbeatMs: 15000, silenceLimitMs: 40000, backoffBaseMs: 500, backoffCapMs: 5000 };

const board = createBoard({
  sessionId: config.sessionId,
  status: document.getElementById("session-status").dataset.status,
  questionCount: config.questionCount,
  questionNumbers: config.questionNumbers,
  pausedAt: config.pausedAt,
  givenBack: config.offlineGivenBack,
  giveBackReason: config.giveBackReason,
  runningStatuses: config.controlStatuses.running,
  openStatuses: config.controlStatuses.open,
  roster: config.roster,
  essays: config.essays || [],
});
const lanes = createLanes({ ...config.lanes, questionNumbers: config.questionNumbers });
const counters = { messages: 0, opened: 0 };
const listeningPart = createListeningPart({
  element: document.getElementById("listening-part"),
  listening: config.listening,
  board,
});
const ask = createFormDialog(document.getElementById("control-dialog"));
const statusLine = document.getElementById("action-status");

/** Say a control's result (the status line is a polite live region); it fades after a while. */
let statusTimer = null;
function announce(text) {
  statusLine.textContent = text;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => {
    statusLine.textContent = "";
  }, 8000);
}

/** Reload the whole board from the API; events that arrive meanwhile are replayed on top. */
const refresh = singleFlight(loadSnapshot);

const controls = createControls({
  board,
  actions: config.actions,
  apiBase: config.apiBase,
  ask,
  apply,
  announce,
  refresh,
  onBusy: () => view.markHeader(),
});
const view = createBoardView({
  board,
  statusLabels: config.statusLabels,
  questionCount: config.questionCount,
  timelineUrl: config.timelineUrl,
  onHeader: () => controls.render(),
});

const lanesView = createLanesView({
  board,
  lanes,
  keys: config.lanes.keys,
  bandTable: config.lanes.bandTable,
  questionCount: config.questionCount,
  cardOf: (studentId) => view.cardOf(studentId),
});

const feed = createFeed({
  board,
  url: config.feedUrl,
  list: document.getElementById("feed"),
  earlierButton: document.getElementById("feed-earlier"),
});

for (const select of document.querySelectorAll("[data-board-layout]")) {
  select.addEventListener("change", () => view.setLayout({ [select.dataset.boardLayout]: select.value }));
}

createCardControls({
  board,
  ask,
  apply,
  announce,
  apiBase: config.apiBase,
  attemptApiBase: config.attemptApiBase,
});

function apply(changes) {
  view.apply(changes);
  if (changes.students.size || changes.header) lanesView.redraw();
  feed.live(changes.feed);
  if (changes.refresh) refreshSoon();
  for (const attemptId of changes.attempts || []) reloadAttemptSoon(attemptId);
  if (changes.serverError) console.warn("live monitor: server error", changes.serverError);
}

// ---------------------------------------------------------------- one attempt read again

const attemptTimers = new Map();

/** Read one attempt again (a violation reviewed elsewhere: its note), once however many events ask. */
function reloadAttemptSoon(attemptId) {
  clearTimeout(attemptTimers.get(attemptId));
  attemptTimers.set(
    attemptId,
    setTimeout(async () => {
      attemptTimers.delete(attemptId);
      try {
        apply(applyAttempt(board, await api(`${config.attemptApiBase}${encodeURIComponent(attemptId)}`)));
      } catch {
        // The next snapshot brings it.
      }
    }, 300),
  );
}

// ---------------------------------------------------------------- the REST snapshot


let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), 300);
}

async function loadSnapshot() {
  const token = beginSnapshot(board);
  try {
    const snapshot = await fetchSnapshot(config);
    const changes = applySnapshot(board, token, snapshot);
    if (changes) {
      takeLaneSnapshot(lanes, board, snapshot.attempts);
      apply(changes);
    }
  } finally {
    endSnapshot(board, token);
  }
}

// ---------------------------------------------------------------- the WebSocket

const linkState = document.getElementById("link-state");

// The monitor's own link to the server's live updates (not the students'): what it says and, on hover, why.
const LINK_TITLES = {
  connecting: "The monitor is connecting to the session's live updates.",
  live: "The monitor receives the session's updates as they happen.",
  offline: "The monitor is not receiving updates; it reconnects by itself and then catches up.",
};

function showLink(stateName, text) {
  linkState.dataset.state = stateName;
  linkState.textContent = text;
  linkState.title = LINK_TITLES[stateName];
}

/** A fresh single-use ticket for every attempt; without one, the session cookie alone. */
async function wsUrl() {
  const base = socketUrl(config.wsPath);
  try {
    const { ticket } = await api(`${config.apiBase}/ws-ticket`, { method: "POST" });
    if (ticket) return `${base}?ticket=${encodeURIComponent(ticket)}`;
  } catch (error) {
    // Offline: no point trying the socket. Not signed in any more: nor then.
    if (error instanceof ApiError && (error.status === 0 || error.status === 401)) throw error;
  }
  return base;
}

const socket = new LiveSocket(
  wsUrl,
  {
    onConnecting: ({ attempts }) => showLink("connecting", attempts ? "Reconnecting…" : "Connecting…"),
    onOpen: () => {
      const opened = socket.ws;
      counters.opened += 1;
      showLink("live", "Live — connected to the monitor's updates");
      refresh().catch((error) => {
        if (!loggedOut(error) && socket.ws === opened) socket.drop(4000, "snapshot failed");
      });
      feed.rebuild().catch(loggedOut);
    },
    onMessage: (message) => {
      if (!message || typeof message.type !== "string") return;
      counters.messages += 1;
      recordLane(lanes, message, serverNowMs(board));
      apply(receive(board, message));
      listeningPart.receive(message);
    },
    onRetry: ({ delayMs }) =>
      showLink("offline", navigator.onLine === false ? "Offline" : `Reconnecting in ${Math.ceil(delayMs / 1000)} s…`),
    onUrlError: (error) => loggedOut(error),
    onStateChange: (state) => {
      if (state === "offline" && !socket.stopped) showLink("offline", "Offline");
    },
  },
  SOCKET_TIMINGS,
);

/** A 401/403 from the API: the login has ended (or access was withdrawn); stop and say so. */
function loggedOut(error) {
  if (!(error instanceof ApiError) || (error.status !== 401 && error.status !== 403)) return false;
  socket.stop(1000, "logged out");
  showLink("offline", "Signed out");
  controls.showSignedOut();
  return true;
}

// ---------------------------------------------------------------- start

window.liveMonitor = {
  state: board,
  lanes,
  counters,
  refresh,
  get socket() {
    return socket.ws;
  },
  /** Close the socket as a network drop would (the monitor reconnects by itself). */
  drop() {
    socket.drop();
  },
  stop() {
    socket.stop(1000, "bye");
  },
};

view.markHeader();
refresh().catch(loggedOut);
feed.rebuild().catch(loggedOut);
socket.start();
