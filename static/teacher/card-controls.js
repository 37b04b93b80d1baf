// The controls on each student's card: extra time with a reason, offline time given back, finish (confirmed),
// reopen (for how long, confirmed), a message to that student, and the violations' review. Each calls its
// REST route and shows the answer on the card at once (the server's event follows and changes nothing more).
// A control's button is disabled and marked busy from its click until it is done: a double click acts once.

import { api, ApiError } from "../common/api.js";
import { applyAttemptResult, applyMessageResult, durationText, key, noChanges } from "./board.js";
import { openReview } from "./review-dialog.js";

/** A refusal in words a teacher can act on. */
export function problemText(error) {
  if (!(error instanceof ApiError)) return String(error?.message || error);
  return error.status === 409 ? `Not possible now: ${error.detail}` : error.detail;
}

/** What the dialogs ask for time: minutes, as a teacher thinks of them; the API takes seconds. */
export function minutesField({ label = "Minutes", value = 5, min = -60, max = 300, hint } = {}) {
  return { name: "minutes", label, type: "number", value, min, max, step: "any", required: true, hint };
}

export const reasonField = (label = "Reason (optional)") => ({
  name: "reason",
  label,
  type: "text",
  maxLength: 500,
  hint: "Kept in the attempt's log.",
});

export const toSeconds = (minutes) => Math.round(Number(minutes) * 60);

/**
 * Run a control's `work` (its confirmation, dialog and request) with its button disabled and marked busy: a second
 * click meanwhile does nothing. `settle` gives the button its usual state back afterwards.
 */
export async function whileBusy(button, work, settle = () => (button.disabled = false)) {
  if (button.getAttribute("aria-busy") === "true") return;
  const focused = document.activeElement === button; // a disabled button loses the focus: it gets it back
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    await work();
  } finally {
    button.removeAttribute("aria-busy");
    settle();
    if (focused && !button.disabled && !button.hidden) button.focus();
  }
}

/**
 * board: the state; ask: the form dialog; apply(changes): show a change; announce(text): say a result aloud;
 * apiBase: the session's REST address; attemptApiBase: "/api/v1/attempts/".
 */
export function createCardControls({ board, ask, apply, announce, apiBase, attemptApiBase }) {
  const attemptUrl = (student, action) => `${attemptApiBase}${encodeURIComponent(student.attemptId)}/${action}`;

  async function attemptControl(student, action, body, options) {
    const attempt = await api(attemptUrl(student, action), { method: "POST", body });
    apply(applyAttemptResult(board, attempt, options));
    const now = board.students.get(key(student.id)) || student; // a snapshot may have replaced the record
    announce(`${now.name}: ${now.notice?.text || "done"}.`);
    return attempt;
  }

  const CONTROLS = {
    extra(student) {
      return ask({
        title: `Extra time for ${student.name}`,
        text: "Only this student's deadline moves. A negative number takes time back (never before now).",
        fields: [minutesField(), reasonField()],
        submit: "Give time",
        validate: ({ minutes }) => (toSeconds(minutes) === 0 ? "Give a number of minutes other than 0." : ""),
        run: ({ minutes, reason }) =>
          attemptControl(
            student,
            "extra-time",
            { seconds: toSeconds(minutes), reason: reason || null },
            { control: "extra", seconds: toSeconds(minutes), reason },
          ).catch(rethrow),
      });
    },
    async "give-back"(student, button) {
      const seconds = Number(button.dataset.seconds);
      if (!(seconds >= 1)) return;
      try {
        await attemptControl(
          student,
          "extra-time",
          { seconds, reason: board.giveBackReason },
          { control: "give-back", seconds },
        );
      } catch (error) {
        showCardProblem(student, error);
      }
    },
    async finish(student) {
      const question = `Finish ${student.name}'s test now? Their answers are submitted and marked as they stand.`;
      if (!window.confirm(question)) return;
      try {
        await attemptControl(student, "finish", {}, { control: "finish" });
      } catch (error) {
        showCardProblem(student, error);
      }
    },
    reopen(student) {
      return ask({
        title: `Reopen ${student.name}'s test`,
        text: "They may work again for this long from now; their mark is cleared until they hand in again.",
        fields: [minutesField({ label: "Minutes from now", value: 10, min: 1, max: 300 })],
        submit: "Reopen",
        danger: true,
        confirm: ({ minutes }) =>
          `Reopen ${student.name}'s test for ${durationText(toSeconds(minutes))}? Their mark is cleared until they hand in again.`,
        run: ({ minutes }) =>
          attemptControl(
            student,
            "reopen",
            { seconds: toSeconds(minutes) },
            { control: "reopen", seconds: toSeconds(minutes) },
          ).catch(rethrow),
      });
    },
    message(student) {
      return ask({
        title: `Message to ${student.name}`,
        text: "Only this student sees it, at once, on their test page.",
        fields: [{ name: "text", label: "Message", type: "textarea", maxLength: 500, required: true }],
        submit: "Send",
        run: async ({ text }) => {
          const body = { text, student_id: student.id };
          const message = await api(`${apiBase}/messages`, { method: "POST", body }).catch(rethrow);
          apply(applyMessageResult(board, message));
          announce(`Message sent to ${student.name}.`);
        },
      });
    },
    review(student) {
      return openReview({ board, student, apply, announce, attemptApiBase, problemText });
    },
  };

  function rethrow(error) {
    throw new Error(problemText(error));
  }

  function showCardProblem(shown, error) {
    const student = board.students.get(key(shown.id)) || shown;
    student.notice = { kind: "error", text: problemText(error) };
    apply({ ...noChanges(), students: new Set([key(student.id)]) });
    announce(`${student.name}: ${student.notice.text}`);
  }

  document.getElementById("board").addEventListener("click", (event) => {
    const button = event.target.closest("[data-control]");
    const cardEl = button?.closest("[data-student-id]");
    if (!button || !cardEl || button.disabled) return;
    const student = board.students.get(cardEl.dataset.studentId);
    const control = CONTROLS[button.dataset.control];
    if (student && control) whileBusy(button, () => control(student, button));
  });
}
