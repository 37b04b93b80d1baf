// Moving around the paper: the part tabs, the question navigator (answered, flagged, current; folded into a bar
// on a narrow screen), previous and next, and the position sent to the teacher's board.

import { isAnswered } from "./answers.js";
import { queue } from "./connection.js";
import { $, $$, config, page, questionById, questionByNumber, questionEl, questions } from "./context.js";
import { focusOpensKeyboard, revealQuestion, setQuestionGridOpen } from "./layout.js";

export function renderNavigator() {
  for (const button of $$(".nav-q")) {
    const id = button.dataset.questionId;
    const answered = isAnswered(id);
    const flagged = page.state.flags.has(String(id));
    const current = String(page.current.questionId) === String(id);
    button.classList.toggle("answered", answered);
    button.classList.toggle("flagged", flagged);
    button.classList.toggle("current", current);
    if (current) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
    button.setAttribute(
      "aria-label",
      `Question ${button.dataset.number}, ${answered ? "answered" : "unanswered"}${flagged ? ", flagged for review" : ""}`,
    );
  }
  renderSummary();
}

/** The folded navigator's bar: where the student is and how much is answered. */
function renderSummary() {
  if (!$("#nav-summary")) return; // no paper on the page yet
  const current = questionById(page.current.questionId);
  const answered = questions().filter((q) => isAnswered(q.id)).length;
  $("#nav-summary-current").textContent = current ? `Question ${current.number}` : "";
  $("#nav-summary-answered").textContent = `${answered} of ${questions().length} answered`;
}

export function showPassage(index, { send = false } = {}) {
  const count = config.passages.length;
  if (!count) return;
  index = Math.max(0, Math.min(count - 1, index));
  page.current.passageIndex = index;
  for (const tab of $$(".part-tab")) {
    const selected = Number(tab.dataset.passageIndex) === index;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  for (const part of $$(".part")) part.hidden = Number(part.dataset.passageIndex) !== index;
  const current = questionById(page.current.questionId);
  if (!current || current.passage_index !== index) {
    const first = questions().find((q) => q.passage_index === index);
    if (first) setCurrent(first.id, { send: false });
  }
  if (send) sendProgress();
}

export function setCurrent(id, { send = true } = {}) {
  if (String(page.current.questionId) === String(id) && !send) return;
  page.current.questionId = id;
  for (const el of $$(".question.current")) el.classList.remove("current");
  questionEl(id)?.classList.add("current");
  renderNavigator();
  if (send) sendProgress();
}

function sendProgress() {
  if (page.phase !== "test") return;
  const q = questionById(page.current.questionId);
  const position = { passage_index: page.current.passageIndex, question_index: q ? q.number - 1 : 0 };
  if (
    page.lastPosition &&
    page.lastPosition.passage_index === position.passage_index &&
    page.lastPosition.question_index === position.question_index
  ) {
    return;
  }
  page.lastPosition = position;
  page.state.position = position;
  queue("progress_update", position);
}

/** Back where the student was (the server's position), once per page load. */
export function restorePositionOnce() {
  if (page.positionRestored) return;
  page.positionRestored = true;
  const { passage_index: passageIndex, question_index: questionIndex } = page.state.position;
  page.lastPosition = { passage_index: passageIndex, question_index: questionIndex };
  const q = questionByNumber(questionIndex + 1);
  if (q && q.passage_index === passageIndex) setCurrent(q.id, { send: false });
  showPassage(passageIndex);
  questionEl(page.current.questionId)?.scrollIntoView({ block: "nearest" });
}

function goToQuestion(id) {
  const q = questionById(id);
  if (!q) return;
  setQuestionGridOpen(false);
  showPassage(q.passage_index);
  setCurrent(q.id, { send: true });
  const el = questionEl(q.id);
  if (!el) return;
  revealQuestion(q.id);
  const target = $('input[type="radio"]:checked', el) || $("input", el);
  if (!target || target.disabled) return;
  (focusOpensKeyboard(target) ? el : target).focus({ preventScroll: true });
}

export function bindNavigator() {
  const tablist = $(".part-tabs");
  tablist.addEventListener("click", (event) => {
    const tab = event.target.closest(".part-tab");
    if (tab) showPassage(Number(tab.dataset.passageIndex), { send: true });
  });
  tablist.addEventListener("keydown", (event) => {
    const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const count = config.passages.length;
    let index = page.current.passageIndex + moves[event.key];
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") index = (index + count) % count;
    showPassage(Math.max(0, Math.min(count - 1, index)), { send: true });
    $(`#tab-${page.current.passageIndex}`).focus();
  });

  $(".navigator").addEventListener("click", (event) => {
    const button = event.target.closest(".nav-q");
    if (button) goToQuestion(button.dataset.questionId);
  });
  $("#prev-question").addEventListener("click", () => {
    const q = questionById(page.current.questionId);
    const previous = q && questionByNumber(q.number - 1);
    if (previous) goToQuestion(previous.id);
  });
  $("#next-question").addEventListener("click", () => {
    const q = questionById(page.current.questionId);
    const next = q ? questionByNumber(q.number + 1) : questions()[0];
    if (next) goToQuestion(next.id);
  });
}
