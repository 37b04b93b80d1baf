// The test screen on a narrow screen (a phone, or a tablet held upright): one pane at a time behind the
// passage/questions switch, and the navigator folded into a bar that opens the grid of all questions.
// From 900 px the split comes back (passage left, questions right) and these controls are not shown.

import { $, $$, page, questionEl } from "./context.js";

const narrowScreen = window.matchMedia("(max-width: 899.98px)");
const coarsePointer = window.matchMedia("(pointer: coarse)");

export const isNarrowScreen = () => narrowScreen.matches;

/** Focusing a text box with a finger's pointer brings up the on-screen keyboard over half the page. */
export const focusOpensKeyboard = (el) => coarsePointer.matches && el.matches("input[type='text'], textarea");

/** Show the passage or the questions pane. Both stay laid out, so each keeps its own scroll position. */
export function showPane(name) {
  page.pane = name;
  $("#test-screen").dataset.pane = name;
  for (const button of $$(".pane-button")) button.setAttribute("aria-pressed", String(button.dataset.pane === name));
}

/** The question's answer in view: on a narrow screen that means on the questions pane. */
export function revealQuestion(id) {
  if (isNarrowScreen()) showPane("questions");
  questionEl(id)?.scrollIntoView({ block: "nearest" });
}

export function setQuestionGridOpen(open) {
  const navigator = $(".navigator");
  if (!navigator) return;
  navigator.classList.toggle("grid-open", open);
  $("#nav-summary").setAttribute("aria-expanded", String(open));
}

const questionGridOpen = () => $(".navigator").classList.contains("grid-open");

export function bindLayout() {
  showPane(page.pane);
  $(".pane-switch").addEventListener("click", (event) => {
    const button = event.target.closest(".pane-button");
    if (button) showPane(button.dataset.pane);
  });
  $("#nav-summary").addEventListener("click", () => {
    setQuestionGridOpen(!questionGridOpen());
    if (questionGridOpen()) $(".nav-q.current")?.focus();
  });
  $(".navigator").addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !questionGridOpen()) return;
    setQuestionGridOpen(false);
    $("#nav-summary").focus();
  });
  document.addEventListener("pointerdown", (event) => {
    if (questionGridOpen() && !event.target.closest(".navigator")) setQuestionGridOpen(false);
  });
  narrowScreen.addEventListener("change", () => setQuestionGridOpen(false));
}
