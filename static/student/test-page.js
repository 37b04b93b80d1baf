// The student's test page: waiting room → test → finished, over one WebSocket to the session.
// Every change the student makes is applied on screen at once, queued in the outbox and sent;
// it leaves the outbox only when the server acknowledges its event_id.
//
// This module starts the page; the parts live beside it: context (config and page state), connection
// (outbox, socket, server messages), screens, phases (countdown, paper), answers, navigator, integrity
// and submit.

import { commitTextInputs, rememberCommitted } from "./answers.js";
import { outbox, socket } from "./connection.js";
import { config, page } from "./context.js";
import { watchIntegrity } from "./integrity.js";
import { restorePositionOnce } from "./navigator.js";
import { bindTestUi, countdown, enterTest, renderAll } from "./phases.js";
import { setPhase, showScreen, updateConnectionUi } from "./screens.js";
import { mergeState } from "./state.js";
import { showLost } from "./submit.js";

function start() {
  countdown.sync(config.ends_at, config.server_now);
  const attempt = config.attempt;
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
    updateConnectionUi();
    return;
  }
  if (config.status === "IN_PROGRESS" && page.paperLoaded && attempt) {
    page.state = mergeState(attempt, outbox.pending());
    rememberCommitted();
    bindTestUi();
    renderAll();
    restorePositionOnce();
    enterTest();
  } else if (config.status === "SCHEDULED") {
    setPhase("not-open");
  } else if (config.status === "WAITING_FOR_STUDENTS") {
    setPhase("waiting");
  } else {
    setPhase("connecting");
  }
  socket.start();
}

watchIntegrity();
window.addEventListener("pagehide", () => commitTextInputs());
start();
window.ieltsTestPage = { page, outbox, socket, countdown }; // for the browser tests and for support staff
