// The live monitor's controls: one button per transition of the session, enabled only where the
// transition is allowed from the current status (the server's table, from the page config), the
// results link once the session is completed, and the error box under them.

import { api, ApiError } from "../common/api.js";
import { applyActionResult } from "./board.js";

/**
 * actions: {name: {allowed: [status, ...], label, done}} as the page config gives them; apiBase: the
 * session's REST address; apply(changes): show a change to the board; refresh(): reload the board;
 * onBusy(): the buttons must be redrawn.
 */
export function createControls({ board, actions, apiBase, apply, refresh, onBusy }) {
  const buttons = [...document.querySelectorAll(".controls [data-action]")];
  const errorBox = document.getElementById("action-error");
  let busy = false;

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  async function run(action, button) {
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    showError("");
    busy = true;
    onBusy();
    try {
      const session = await api(`${apiBase}/${action}`, { method: "POST" });
      apply(applyActionResult(board, session, actions[action].done));
    } catch (error) {
      const detail = error instanceof ApiError ? error.detail : String(error);
      showError(error.status === 409 ? `Not possible now: ${detail}` : detail);
      refresh().catch(() => {});
    } finally {
      busy = false;
      onBusy();
    }
  }

  for (const button of buttons) {
    button.addEventListener("click", () => run(button.dataset.action, button));
  }

  return {
    /** Enable what the session's status allows (nothing while a transition is under way). */
    render() {
      const status = board.session.status;
      for (const button of buttons) {
        button.disabled = busy || !actions[button.dataset.action].allowed.includes(status);
      }
      document.getElementById("results-link").hidden = status !== "COMPLETED";
    },
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
