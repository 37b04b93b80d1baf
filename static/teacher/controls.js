// The live monitor's class controls: one button per transition of the session (pause asks for a reason),
// enabled only where the transition is allowed from the current status (the server's table, from the page
// config); extra time and a message for the whole class; the results link once the session is completed,
// and the error box under them. While one transition is asked for (its confirmation, dialog or request), every
// transition button is disabled and the one asked is marked busy: a double click asks once and sends once.

import { api } from "../common/api.js";
import { applyActionResult, applySessionExtension } from "./board.js";
import { minutesField, problemText, reasonField, toSeconds, whileBusy } from "./card-controls.js";

/**
 * actions: {name: {allowed: [status, ...], label, done}} as the page config gives them; apiBase: the
 * session's REST address; ask: the form dialog; apply(changes): show a change to the board; announce(text): say
 * a result aloud; refresh(): reload the board; onBusy(): the buttons must be redrawn.
 */
export function createControls({ board, actions, apiBase, ask, apply, announce, refresh, onBusy }) {
  const buttons = [...document.querySelectorAll(".controls [data-action]")];
  const classButtons = [...document.querySelectorAll(".controls [data-class-control]")];
  const errorBox = document.getElementById("action-error");
  let busy = null; // the transition button whose action is under way

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  async function transition(action, body) {
    showError("");
    const session = await api(`${apiBase}/${action}`, { method: "POST", body });
    apply(applyActionResult(board, session));
    announce(actions[action].done);
  }

  async function run(action, button) {
    if (busy) return;
    busy = button;
    render();
    try {
      await askAndSend(action, button);
    } finally {
      busy = null;
      render();
      onBusy();
    }
  }

  async function askAndSend(action, button) {
    if (button.dataset.ask === "reason") {
      await ask({
        title: "Pause the test for everyone",
        text: "Every student's clock stops and their paper is hidden until you resume; the time paused is given back.",
        fields: [reasonField("Reason (optional, shown to the students)")],
        submit: "Pause",
        run: ({ reason }) => transition(action, { reason: reason || null }).catch(refused),
      });
      return;
    }
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    await transition(action).catch((error) => {
      showError(problemText(error));
      refresh().catch(() => {});
    });
  }

  function refused(error) {
    refresh().catch(() => {});
    throw new Error(problemText(error));
  }

  const CLASS_CONTROLS = {
    extra: () =>
      ask({
        title: "Extra time for the whole class",
        text: "The class's deadline moves, and every open attempt's with it (each keeps its own extra time).",
        fields: [minutesField(), reasonField()],
        submit: "Give time",
        validate: ({ minutes }) => (toSeconds(minutes) === 0 ? "Give a number of minutes other than 0." : ""),
        run: async ({ minutes, reason }) => {
          const seconds = toSeconds(minutes);
          const body = { seconds, reason: reason || null };
          const session = await api(`${apiBase}/extra-time`, { method: "POST", body }).catch(refused);
          apply(applySessionExtension(board, session, seconds));
          announce("The class's time is changed.");
        },
      }),
    message: () =>
      ask({
        title: "Message to the whole class",
        text: "Every student sees it at once, on their test page.",
        fields: [{ name: "text", label: "Message", type: "textarea", maxLength: 500, required: true }],
        submit: "Send to all",
        run: async ({ text }) => {
          await api(`${apiBase}/messages`, { method: "POST", body: { text } }).catch(refused);
          announce("Message sent to everyone.");
        },
      }),
  };

  for (const button of buttons) {
    button.addEventListener("click", () => run(button.dataset.action, button));
  }
  for (const button of classButtons) {
    button.addEventListener("click", () => whileBusy(button, CLASS_CONTROLS[button.dataset.classControl], render));
  }

  /** Enable what the session's status allows (no transition while one is under way). */
  function render() {
    const status = board.session.status;
    for (const button of buttons) {
      const action = actions[button.dataset.action];
      button.disabled = Boolean(busy) || !action || !action.allowed.includes(status);
      if (busy === button) button.setAttribute("aria-busy", "true");
      else button.removeAttribute("aria-busy");
    }
    for (const button of classButtons) {
      const statuses = button.dataset.classControl === "message" ? board.open : board.running;
      if (button.getAttribute("aria-busy") !== "true") button.disabled = Boolean(busy) || !statuses.has(status);
    }
    document.getElementById("results-link").hidden = status !== "COMPLETED";
  }

  return {
    render,
    /** The login has ended: say so, with a way back that returns here. */
    showSignedOut() {
      errorBox.replaceChildren(
        "You are no longer signed in, so the monitor has stopped. ",
        Object.assign(document.createElement("a"), {
          href: `/accounts/login/?next=${encodeURIComponent(location.pathname)}`,
          textContent: "Log in again",
        }),
      );
      errorBox.hidden = false;
    },
  };
}
