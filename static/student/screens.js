// What the page shows around the paper: which screen, the banner, the connection status, and the
// announcements read out to screen readers.

import { plural } from "../common/format.js";
import { outbox, socket } from "./connection.js";
import { $, page, paperMinutes, TEST_PHASES } from "./context.js";
import { countdown } from "./phases.js";

const LAST_MINUTES_WARNING = 2; // warn an offline student this many (paper) minutes before the end

export const changesText = (n) => plural(n, "change");

const SCREEN_OF_PHASE = {
  connecting: "connecting",
  "not-open": "waiting",
  waiting: "waiting",
  test: "test",
  timeup: "test",
  submitting: "test",
  finished: "finished",
  closed: "closed",
};

/** Show one screen; the test's screen gives way to the pause screen while the teacher has paused the session. */
export function showScreen(name) {
  const shown = name === "test" && page.paused ? "paused" : name;
  for (const screen of ["connecting", "waiting", "test", "paused", "finished", "closed"]) {
    $(`#screen-${screen}`).hidden = screen !== shown;
  }
  $("#timer-box").hidden = !(name === "test" && countdown.known);
  $("#timer-box").classList.toggle("paused", shown === "paused");
}

/** The screen of the current phase again (after a pause or a resume, or once the clock is known). */
export function refreshScreen() {
  showScreen(SCREEN_OF_PHASE[page.phase]);
}

export function setPhase(phase) {
  page.phase = phase;
  showScreen(SCREEN_OF_PHASE[phase]);
  if (phase === "not-open") {
    $("#waiting-message").textContent =
      "The waiting room is not open yet. Keep this page open: it connects by itself when your teacher opens it.";
  } else if (phase === "waiting") {
    $("#waiting-message").textContent = "Please wait. The test will begin when your teacher starts it.";
  }
  updateConnectionUi();
}

export function announce(text) {
  const announcer = $("#announcer");
  announcer.textContent = "";
  setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}

export function setBanner(key, text, kind = "") {
  if (page.banner.key === key && page.banner.text === text) return;
  page.banner = { key, text };
  const region = $("#banner-region");
  if (!text) {
    region.replaceChildren();
    return;
  }
  const banner = document.createElement("div");
  banner.className = `banner ${kind}`.trim();
  banner.id = "banner";
  banner.dataset.kind = key;
  banner.textContent = text;
  region.replaceChildren(banner);
}

export function updateBanner() {
  const connected = socket.state === "online";
  const remaining = countdown.remainingMs();
  if (page.phase === "finished" || page.phase === "closed") {
    setBanner("", "");
  } else if (!connected && TEST_PHASES.has(page.phase)) {
    const waiting = outbox.size ? ` ${changesText(outbox.size)} waiting to be sent.` : "";
    if (page.paused) {
      setBanner("offline", `You are offline. The test is paused; the page reconnects by itself.${waiting}`);
    } else if (remaining !== null && remaining <= paperMinutes(LAST_MINUTES_WARNING) * 1000) {
      setBanner(
        "offline-end",
        "You are offline and the test is about to end. Answers the server has not received by the end of the test " +
          `cannot count. Reconnect now if you can.${waiting}`,
        "danger",
      );
    } else if (page.phase === "submitting") {
      setBanner("offline", `You are offline. Your test will be submitted as soon as the connection is back.${waiting}`);
    } else {
      setBanner(
        "offline",
        "You are offline. Keep working: your answers are kept on this device and will be sent when the " +
          `connection is back.${waiting}`,
      );
    }
  } else if (!connected && socket.state === "reconnecting" && page.phase === "waiting") {
    setBanner("offline", "Connection lost. Reconnecting…");
  } else if (page.phase === "submitting" && !page.paused) {
    setBanner("submitting", "Submitting your answers…", "info");
  } else if (page.banner.key === "left-page" || page.banner.key === "error") {
    // keep until it times out
  } else {
    setBanner("", "");
  }
}

export function updateConnectionUi() {
  const status = $("#conn-status");
  const text = $("#conn-text");
  const state = socket.state;
  status.dataset.state = state === "online" ? "online" : state === "connecting" ? "connecting" : "offline";
  if (page.phase === "finished" || page.phase === "closed") {
    status.dataset.state = "online";
    text.textContent = "Finished";
  } else if (state === "online") {
    text.textContent = outbox.size && TEST_PHASES.has(page.phase) ? `Saving… (${outbox.size})` : "Connected · all saved";
    if (outbox.size && page.paused) text.textContent = `Paused · ${outbox.size} to send`;
    if (!TEST_PHASES.has(page.phase)) text.textContent = "Connected";
  } else if (state === "offline") {
    text.textContent = outbox.size ? `Offline · ${outbox.size} not sent yet` : "Offline";
  } else if (state === "reconnecting") {
    text.textContent = outbox.size ? `Reconnecting… · ${outbox.size} not sent yet` : "Reconnecting…";
  } else {
    text.textContent = "Connecting…";
  }
  updateBanner();
}
