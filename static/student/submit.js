// Handing in and the end of the test: the submit dialog, the finished screen (with the result and any
// changes that could not count), the closed screen, and asking the REST API whether the session is over.

import { api } from "../common/api.js";
import { formatBand } from "../common/format.js";
import { acceptingInput, $, config, page, questions, RUNNING_STATUSES } from "./context.js";
import { commitTextInputs, isAnswered } from "./answers.js";
import { outbox, queue, socket } from "./connection.js";
import { countdown, lockInputs } from "./phases.js";
import { announce, changesText, setBanner, setPhase, updateConnectionUi } from "./screens.js";
import { showWritingResult } from "./writing.js";

function openSubmitDialog() {
  if (!acceptingInput()) return;
  commitTextInputs();
  const unanswered = questions().filter((q) => !isAnswered(q.id)).map((q) => q.number);
  const flagged = questions().filter((q) => page.state.flags.has(String(q.id))).map((q) => q.number);
  const total = questions().length;
  $("#submit-summary").textContent = `You have answered ${total - unanswered.length} of ${total} questions.`;
  const list = (el, title, numbers) => {
    el.replaceChildren();
    if (!numbers.length) return;
    const strong = document.createElement("strong");
    strong.textContent = title;
    const span = document.createElement("span");
    span.textContent = numbers.join(", ");
    el.append(strong, span);
  };
  list($("#submit-unanswered"), `Unanswered (${unanswered.length}):`, unanswered);
  list($("#submit-flagged"), `Flagged for review (${flagged.length}):`, flagged);
  $("#submit-dialog").showModal();
}

function confirmSubmit() {
  $("#submit-dialog").close();
  if (!acceptingInput()) return;
  commitTextInputs();
  page.phase = "submitting";
  lockInputs();
  queue("submit_attempt", {});
  updateConnectionUi();
}

export function bindSubmit() {
  $("#submit-open").addEventListener("click", openSubmitDialog);
  $("#submit-cancel").addEventListener("click", () => $("#submit-dialog").close());
  $("#submit-confirm").addEventListener("click", confirmSubmit);
}

export async function finish({ attempt = null, reason = "ended", lost = 0 }) {
  if (page.phase === "finished") return;
  commitTextInputs();
  page.phase = "finished";
  page.paused = false; // nothing of a pause shows on the finished screen
  page.pauseAnnounced = false;
  page.holdForSync = false;
  // While the session runs the socket stays open: the teacher may still reopen the attempt or send a message.
  countdown.stop();
  lockInputs();
  for (const timer of page.textTimers.values()) clearTimeout(timer);
  const titles = {
    time: ["Time is up", "The test has ended and your answers have been submitted."],
    teacher: ["The test has ended", "Your teacher ended the test. Your answers have been submitted."],
    submitted: ["Test submitted", "Your answers have been submitted."],
    ended: ["Test finished", "Your answers have been submitted."],
  };
  const [title, text] = titles[reason] || titles.ended;
  $("#finished-title").textContent = title;
  $("#finished-message").textContent = text;
  showLost(lost + page.refusedAsLate);
  outbox.clear();
  setPhase("finished");
  setBanner("", "");
  announce(title);
  showResult(attempt && attempt.score != null ? attempt : await fetchAttempt());
  if (!RUNNING_STATUSES.has(page.sessionStatus)) sessionOver();
}

/** Changes made on this device that never reached the server: say how many could not count. */
export function showLost(lost) {
  if (lost <= 0) return;
  const note = $("#finished-lost");
  note.textContent =
    `${changesText(lost)} made on this device had not reached the server when the test ended, ` +
    `so ${lost === 1 ? "it" : "they"} could not count.`;
  note.hidden = false;
}

/** The score and band once the teacher's choice of release shows them (until then, that they will come), and
 * each answer with its mark and the keys when the teacher allows a review. */
export function showResult(attempt) {
  if (!attempt) return;
  if (attempt.writing && attempt.writing.length) {
    page.resultHeld = showWritingResult(attempt);
    return;
  }
  page.resultHeld = attempt.score == null && attempt.status === "SUBMITTED";
  $("#finished-held").hidden = !page.resultHeld;
  if (attempt.score == null) return;
  $("#finished-score").textContent = attempt.score;
  $("#finished-band").textContent = formatBand(attempt.band);
  $("#finished-result").hidden = false;
  showReview(attempt.answers || []);
}

function showReview(answers) {
  const reviewed = answers.filter((item) => "correct" in item);
  if (!reviewed.length) return;
  const numbers = config.question_numbers || {};
  const rows = reviewed.map((item) => {
    const row = document.createElement("li");
    row.className = item.correct ? "review-right" : "review-wrong";
    row.value = numbers[item.question_id] || 0;
    const given = item.answer.trim() ? `“${item.answer}”` : "no answer";
    const keys = item.accepted_answers.join(" / ");
    row.textContent = `${given} — ${item.correct ? "correct" : `incorrect; accepted: ${keys}`}`;
    return row;
  });
  $("#finished-review-list").replaceChildren(...rows);
  $("#finished-review").hidden = false;
}

/** The teacher released the results: show them (the socket's last message). */
export async function resultsReleased() {
  showResult(await fetchAttempt());
  if (page.sessionStatus === "COMPLETED") sessionOver();
}

/** The session is over: nothing more can come, the socket closes for good (once a held result has come too). */
export function sessionOver() {
  if (page.resultHeld) return;
  socket.stop();
  updateConnectionUi();
}

export function closed(text) {
  if (page.phase === "finished") return;
  page.phase = "closed";
  socket.stop();
  countdown.stop();
  $("#closed-message").textContent = text;
  setPhase("closed");
}

export function wrongUser() {
  socket.stop();
  closed(
    "You are logged in as someone else in this browser now. Log in again as " +
      `${config.username} and reload this page; your answers are kept on this device.`,
  );
}

async function fetchAttempt() {
  if (page.attemptId == null) return null;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      return await api(`${config.attempt_api}${page.attemptId}`);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  return null;
}

/** A practice attempt's own status stands where a session's would: once it is handed in, the page is finished. */
async function checkPracticeOverRest() {
  if (page.phase === "finished" || page.attemptId == null) return;
  const attempt = await api(`${config.attempt_api}${page.attemptId}`);
  page.sessionStatus = attempt.status;
  if (attempt.status !== "IN_PROGRESS") {
    finish({ attempt, reason: page.phase === "timeup" ? "time" : "submitted", lost: outbox.workSize });
  }
}

/** The socket cannot (re)connect, or the server refused an event as too late: has the session ended? */
export async function checkSessionOverRest(force = false) {
  if (page.phase === "closed") return;
  if (!force && Date.now() - page.lastStatusCheck < 10000) return;
  page.lastStatusCheck = Date.now();
  try {
    if (!config.session_api) return await checkPracticeOverRest(); // a practice attempt has no session
    const session = await api(config.session_api);
    page.sessionStatus = session.status;
    if (page.phase === "finished") {
      if (!RUNNING_STATUSES.has(session.status)) sessionOver(); // no reopen can come any more
    } else if (session.status === "COMPLETED") {
      finish({ reason: page.phase === "timeup" ? "time" : "ended", lost: outbox.workSize });
    } else if (session.status === "CANCELLED") {
      closed("Your teacher cancelled this session.");
    } else if (page.attemptId != null) {
      const attempt = await api(`${config.attempt_api}${page.attemptId}`);
      if (attempt.status !== "IN_PROGRESS") finish({ attempt, reason: "submitted", lost: outbox.workSize });
    }
  } catch {
    /* offline: the socket keeps trying */
  }
}
