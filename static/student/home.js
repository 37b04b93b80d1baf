// "My sessions" keeps itself current: the home socket says when one of the student's sessions changed, and the
// page reloads its lists from the server (which also renders the "Your test is running" banner). Every
// (re)connect and every return through the back/forward cache reloads them too, so nothing missed stays missed.

import { localizeTimes } from "../common/format.js";
import { singleFlight } from "../common/single-flight.js";
import { LiveSocket, socketUrl } from "../common/socket.js";

// What the server sends the home page about a session (the contract's names); anything else is ignored.
const SESSION_NEWS = new Set([
  "waiting_room_opened",
  "session_started",
  "session_completed",
  "session_cancelled",
  "session_status_changed",
  "results_released",
]);

const lists = document.getElementById("home-lists");
const announcer = document.getElementById("home-announcer");
let renderedHtml = lists.innerHTML; // as the server wrote it, before the times were made local

async function fetchLists() {
  const response = await fetch(window.location.href, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok || response.redirected) return null; // logged out meanwhile: the next load shows the login
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  return page.getElementById("home-lists")?.innerHTML ?? null;
}

/** Reload the lists; news arriving while a reload is on its way gets one more reload after it. */
const reloadLists = singleFlight(async () => {
  let html = null;
  try {
    html = await fetchLists();
  } catch {
    return; // offline: the socket's reconnect reloads them
  }
  if (html !== null && html !== renderedHtml) {
    renderedHtml = html;
    lists.innerHTML = html;
    localizeTimes(lists);
    announcer.textContent = "Your sessions were updated.";
  }
});

const socket = new LiveSocket(
  socketUrl(lists.dataset.socketPath),
  {
    onOpen: () => reloadLists(),
    onMessage: (message) => {
      if (message.type === "error" && message.code === "forbidden") socket.stop();
      else if (SESSION_NEWS.has(message.type)) reloadLists();
    },
  },
  { heartbeatMs: 25000, silenceLimitMs: 60000 },
);

window.addEventListener("pageshow", (event) => {
  if (event.persisted) reloadLists();
});

localizeTimes(lists);
socket.start();
