// The review of one student's violations from their card: each violation with its verdict, a note, and
// Confirm / Dismiss. It reads the attempt afresh when it opens (a violation's id comes with the attempt's body),
// and every review's answer shows in the list and on the card at once.

import { formatClockTime } from "../common/format.js";
import { api } from "../common/api.js";
import { applyAttempt, applyAttemptResult, key, violationText } from "./board.js";

const VERDICT_LABELS = { CONFIRMED: "Confirmed", DISMISSED: "Dismissed" };

let current = null; // {board, studentId, apply, announce, attemptApiBase, problemText, opener}
let dialog = null;

function parts() {
  return {
    title: dialog.querySelector("h2"),
    list: dialog.querySelector(".review-list"),
    error: dialog.querySelector(".dialog-error"),
  };
}

/** The student's record now (a snapshot replaces the records: hold the id, never the object). */
function currentStudent() {
  return current ? current.board.students.get(current.studentId) || null : null;
}

function showError(text) {
  const { error } = parts();
  error.textContent = text;
  error.hidden = !text;
}

function item(violation, index) {
  const li = document.createElement("li");
  li.className = "review-item";
  li.dataset.violationId = violation.id === null ? "" : key(violation.id);
  const what = violationText(violation, formatClockTime);
  const head = document.createElement("p");
  const verdict = Object.assign(document.createElement("span"), {
    className: "badge verdict",
    textContent: VERDICT_LABELS[violation.verdict] || "Not reviewed",
  });
  verdict.dataset.verdict = violation.verdict || "";
  head.append(`${what} `, verdict);
  li.append(head);
  if (violation.id === null) {
    li.append(Object.assign(document.createElement("p"), { className: "muted", textContent: "Still being saved…" }));
    return li;
  }
  const noteId = `review-note-${key(violation.id)}`;
  const label = Object.assign(document.createElement("label"), { htmlFor: noteId, textContent: "Note" });
  const note = Object.assign(document.createElement("input"), { id: noteId, type: "text", maxLength: 500 });
  note.className = "review-note";
  note.defaultValue = violation.note || "";
  note.setAttribute("aria-label", `Note on violation ${index + 1} (${what})`);
  const row = document.createElement("div");
  row.className = "review-row";
  row.append(label, note);
  for (const [verdictName, word] of [["CONFIRMED", "Confirm"], ["DISMISSED", "Dismiss"]]) {
    const button = Object.assign(document.createElement("button"), {
      type: "button",
      className: `button small${verdictName === "CONFIRMED" ? " danger" : ""}`,
      textContent: word,
    });
    button.dataset.verdict = verdictName;
    button.setAttribute("aria-label", `${word} violation ${index + 1} (${what})`);
    button.setAttribute("aria-pressed", String(violation.verdict === verdictName));
    row.append(button);
  }
  li.append(row);
  return li;
}

/** Draw the list again; notes being typed and the focus stay where they were. */
function render(focus = null) {
  const { title, list } = parts();
  const student = currentStudent();
  if (!student) return;
  const typed = new Map();
  for (const input of list.querySelectorAll(".review-note")) {
    if (input.value !== input.defaultValue) typed.set(input.id, input.value);
  }
  const active = list.contains(document.activeElement) ? document.activeElement : null;
  const activeKey = active && (active.id ? `#${active.id}` : null);
  title.textContent = `Violations of ${student.name}`;
  const violations = student.violationList || [];
  list.replaceChildren(...violations.map(item));
  if (!violations.length) list.append(Object.assign(document.createElement("li"), { textContent: "None recorded." }));
  for (const [id, value] of typed) {
    const input = document.getElementById(id);
    if (input) input.value = value;
  }
  if (focus) list.querySelector(`li[data-violation-id="${focus.id}"] [data-verdict="${focus.verdict}"]`)?.focus();
  else if (activeKey) list.querySelector(activeKey)?.focus();
}

async function review(button) {
  const li = button.closest("li[data-violation-id]");
  const { board, apply, announce, attemptApiBase, problemText, studentId } = current;
  const student = currentStudent();
  const violationId = li.dataset.violationId;
  const verdict = button.dataset.verdict;
  const note = li.querySelector(".review-note").value.trim();
  showError("");
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    const url = `${attemptApiBase}${encodeURIComponent(student.attemptId)}/violations/${violationId}/review`;
    const attempt = await api(url, { method: "POST", body: { verdict, note: note || null } });
    apply(applyAttemptResult(board, attempt, { control: "review", violationId }));
    announce(`${student.name}: violation ${VERDICT_LABELS[verdict].toLowerCase()}.`);
    if (current?.studentId === studentId) render({ id: violationId, verdict });
  } catch (error) {
    showError(problemText(error));
    button.disabled = false;
  } finally {
    button.removeAttribute("aria-busy");
  }
}

function setUp() {
  dialog = document.getElementById("review-dialog");
  dialog.querySelector("[data-dialog-cancel]").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    const opener = current?.opener;
    current = null;
    opener?.focus?.();
  });
  dialog.querySelector(".review-list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-verdict]");
    if (button && current && !button.disabled) review(button);
  });
}

/** Open the review of this student's violations (their attempt is read first, for the violations' ids). */
export async function openReview({ board, student, apply, announce, attemptApiBase, problemText }) {
  if (!dialog) setUp();
  const studentId = key(student.id);
  current = { board, studentId, apply, announce, attemptApiBase, problemText, opener: document.activeElement };
  showError("");
  render();
  if (!dialog.open) dialog.showModal();
  try {
    const attempt = await api(`${attemptApiBase}${encodeURIComponent(student.attemptId)}`);
    apply(applyAttempt(board, attempt));
    if (current?.studentId === studentId) render();
  } catch (error) {
    showError(problemText(error));
  }
  if (current?.studentId === studentId && !parts().list.contains(document.activeElement)) {
    dialog.querySelector(".review-note, [data-dialog-cancel]")?.focus();
  }
}
