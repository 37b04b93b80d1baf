// The student's test page: waiting room → test → finished, over one WebSocket to the session.
// Every change the student makes is applied on screen at once, queued in the outbox and sent;
// it leaves the outbox only when the server acknowledges its event_id.
//
// This module starts the page; the parts live beside it: context (config and page state), connection
// (outbox, socket, server messages), screens, phases (countdown, paper), answers, navigator, integrity,
// submit, controls (the teacher's pause, extra time and reopen) and messages (the teacher's messages).

import { commitTextInputs, rememberCommitted } from "./answers.js";
import { outbox, socket } from "./connection.js";
import { config, page, RUNNING_STATUSES } from "./context.js";
import { pauseTest, rememberedPause } from "./controls.js";
import { watchIntegrity } from "./integrity.js";
import { listening, startListening } from "./listening.js";
import { bindMessages, loadMessages } from "./messages.js";
import { restorePositionOnce } from "./navigator.js";
import { bindOptions } from "./options.js";
import { bindTestUi, countdown, enterTest, renderAll } from "./phases.js";
import { setPhase, showScreen, updateConnectionUi } from "./screens.js";
import { mergeState } from "./state.js";
import { showLost, showResult } from "./submit.js";

function start() {
  const attempt = config.attempt;
  countdown.sync((attempt && attempt.ends_at) || config.ends_at, config.server_now); // the attempt's own end
  bindMessages();
  loadMessages();
  const over =
    config.status === "COMPLETED" ||
    config.status === "CANCELLED" ||
    (attempt && attempt.status !== "IN_PROGRESS");
  if (over) {
    // The server rendered the finished screen. Anything still on this device can no longer count:
    // say so once, then forget it.
    page.phase = "finished";
    showLost(outbox.workSize);
    outbox.clear();
    showScreen("finished");
    showResult(attempt);
    updateConnectionUi();
    if (RUNNING_STATUSES.has(config.status)) socket.start(); // the teacher may still reopen it, or write
    return;
  }
  if (RUNNING_STATUSES.has(config.status) && page.paperLoaded && attempt) {
    const paused = config.status === "PAUSED";
    if (paused) countdown.freeze(pausedRemainingMs(attempt)); // until the state sync says exactly
    page.state = mergeState(attempt, outbox.pending());
    rememberCommitted();
    bindTestUi();
    renderAll();
    restorePositionOnce();
    enterTest();
    if (paused) {
      const stored = rememberedPause();
      pauseTest({ reason: config.pause_reason ?? (stored ? stored.reason : null) });
    }
  } else if (config.status === "SCHEDULED") {
    setPhase("not-open");
  } else if (config.status === "WAITING_FOR_STUDENTS") {
    setPhase("waiting");
  } else {
    setPhase("connecting");
  }
  socket.start();
  startListening(); // a Listening paper's recording, on the server's timeline
}

/** Reloaded during a pause: the time that was left, from the moment of the pause if the page knows it. */
function pausedRemainingMs(attempt) {
  if (config.remaining_seconds != null) return config.remaining_seconds * 1000;
  const pausedAt = Date.parse(config.paused_at || (rememberedPause() || {}).pausedAt || "");
  const endsAt = Date.parse(attempt.ends_at || config.ends_at || "");
  return Number.isNaN(pausedAt) || Number.isNaN(endsAt) ? null : endsAt - pausedAt;
}

bindOptions(); // first: the student's text size and colours before anything is drawn
watchIntegrity();
window.addEventListener("pagehide", () => commitTextInputs());
start();
window.ieltsTestPage = { page, outbox, socket, countdown, listening }; // for the browser tests and for support staff
