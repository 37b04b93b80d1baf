// The student's work on the paper: answers (text answers committed after a pause, or on leaving the box) and
// flags for review; and how the page draws them and the highlights (which highlighting.js makes and removes).
// Each change shows at once and is queued for the server.

import { queue } from "./connection.js";
import { $, $$, acceptingInput, page, passageById, questionById, questionEl, questions } from "./context.js";
import { renderPassage } from "./highlights.js";
import { renderNavigator, setCurrent } from "./navigator.js";
import { announce } from "./screens.js";
import { bindWriting, renderEssay } from "./writing.js";

const TEXT_DEBOUNCE_MS = 600;
const NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

export function rememberCommitted() {
  page.committed = new Map();
  for (const q of questions()) page.committed.set(String(q.id), page.state.answers.get(String(q.id)) ?? "");
}

export function isAnswered(id) {
  const answer = page.state.answers.get(String(id));
  return typeof answer === "string" && answer.trim() !== "";
}

function answer(id, value) {
  const key = String(id);
  if (value.trim() === "") page.state.answers.delete(key);
  else page.state.answers.set(key, value);
  renderNavigator();
}

function commitAnswer(id, value) {
  const key = String(id);
  clearTimeout(page.textTimers.get(key));
  page.textTimers.delete(key);
  if (page.phase !== "test" && page.phase !== "timeup") return; // what was typed before a pause or the end still goes
  if ((page.committed.get(key) ?? "") === value) return;
  page.committed.set(key, value);
  const q = questionById(id);
  queue("answer_submitted", { question_id: q ? q.id : id, answer: value });
}

/** Send what is typed in text answers now, without waiting for the pause. */
export function commitTextInputs() {
  for (const key of [...page.textTimers.keys()]) {
    const input = document.getElementById(`answer-${key}`);
    if (input) commitAnswer(key, input.value);
  }
}

function countWords(value) {
  const trimmed = value.trim();
  return trimmed ? trimmed.split(/\s+/).length : 0;
}

function checkWordLimit(input) {
  const limit = Number(input.dataset.wordLimit || 0);
  const note = document.getElementById(`over-limit-${input.dataset.questionId}`);
  if (!note) return;
  const words = countWords(input.value);
  const over = limit > 0 && words > limit;
  note.hidden = !over;
  note.textContent = over
    ? `You have written ${words} words. The answer must be no more than ${NUMBER_WORDS[limit] || limit} ${limit === 1 ? "word" : "words"}.`
    : "";
}

function toggleFlag(id) {
  if (!acceptingInput()) return;
  const key = String(id);
  const flagged = !page.state.flags.has(key);
  if (flagged) page.state.flags.add(key);
  else page.state.flags.delete(key);
  renderFlags();
  renderNavigator();
  const q = questionById(id);
  queue("question_flagged", { question_id: q ? q.id : id, flagged });
  announce(`Question ${q ? q.number : ""} ${flagged ? "flagged for review" : "no longer flagged"}.`);
}

// ------------------------------------------------------------------ rendering

export function renderAnswers() {
  for (const q of questions()) {
    const value = page.state.answers.get(String(q.id)) ?? "";
    const el = questionEl(q.id);
    if (!el) continue;
    const essay = $(".essay-answer", el);
    const text = $(".text-answer", el);
    if (essay) {
      renderEssay(essay, value);
    } else if (text) {
      if (document.activeElement !== text || !page.textTimers.has(String(q.id))) text.value = value;
      checkWordLimit(text);
    } else {
      for (const radio of $$('input[type="radio"]', el)) radio.checked = radio.value === value;
    }
  }
}

export function renderFlags() {
  for (const button of $$(".flag-button")) {
    const flagged = page.state.flags.has(String(button.dataset.questionId));
    button.setAttribute("aria-pressed", String(flagged));
    questionEl(button.dataset.questionId)?.classList.toggle("flagged", flagged);
  }
}

export function renderHighlights(passageId) {
  const passage = passageById(passageId);
  const el = passage && document.getElementById(`passage-text-${passage.id}`);
  if (!el) return;
  renderPassage(
    el,
    passage.text,
    page.state.highlights.filter((h) => h.passageId === String(passage.id)),
  );
}

// ------------------------------------------------------------------ wiring

export function bindAnswerSheet() {
  const sheet = $("#answer-sheet");
  sheet.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.dataset || !input.dataset.questionId) return;
    if (input.classList.contains("essay-answer")) return; // saved as it is typed (writing.js)
    if (!acceptingInput()) {
      renderAnswers();
      return;
    }
    answer(input.dataset.questionId, input.value);
    commitAnswer(input.dataset.questionId, input.value);
  });
  sheet.addEventListener("input", (event) => {
    const input = event.target;
    if (!input.classList.contains("text-answer") || !acceptingInput()) return;
    const key = String(input.dataset.questionId);
    answer(key, input.value);
    checkWordLimit(input);
    clearTimeout(page.textTimers.get(key));
    page.textTimers.set(
      key,
      setTimeout(() => commitAnswer(key, input.value), TEXT_DEBOUNCE_MS),
    );
  });
  sheet.addEventListener("focusout", (event) => {
    const input = event.target;
    if (input.classList && input.classList.contains("text-answer") && page.textTimers.has(String(input.dataset.questionId))) {
      commitAnswer(input.dataset.questionId, input.value);
    }
  });
  sheet.addEventListener("focusin", (event) => {
    const question = event.target.closest(".question");
    if (question) setCurrent(question.dataset.questionId, { send: true });
  });
  sheet.addEventListener("click", (event) => {
    const flag = event.target.closest(".flag-button");
    if (flag) toggleFlag(flag.dataset.questionId);
  });
  bindWriting();
}
