// The test's course on this page: the countdown on the server's clock, the paper (fetched once the test
// starts), entering the test, and time running out.

import { formatRemaining } from "../common/format.js";
import { bindAnswerSheet, commitTextInputs, renderAnswers, renderFlags, renderHighlights } from "./answers.js";
import { flush, outbox, requestSync } from "./connection.js";
import { $, config, page, paperMinutes, questions, TEST_PHASES } from "./context.js";
import { bindHighlighting } from "./highlighting.js";
import { bindLayout } from "./layout.js";
import { bindNavigator, renderNavigator, setCurrent, showPassage } from "./navigator.js";
import { bindNotes } from "./notes.js";
import { announce, setPhase, showScreen, updateBanner, updateConnectionUi } from "./screens.js";
import { bindSubmit, checkSessionOverRest } from "./submit.js";
import { Countdown } from "./timer.js";

const TIMER_WARNINGS = [10, 5]; // (paper) minutes: the timer turns red and flashes

export const countdown = new Countdown({
  warnings: TIMER_WARNINGS.map(paperMinutes),
  onTick: (ms) => {
    $("#timer").textContent = formatRemaining(ms);
    $("#timer-box").classList.toggle("warning", ms <= paperMinutes(TIMER_WARNINGS[0]) * 1000);
    if (page.phase !== "finished") updateBanner();
  },
  onWarning: (seconds) => {
    const minutes = TIMER_WARNINGS.find((m) => paperMinutes(m) === seconds);
    announce(`${minutes} minutes remaining.`);
    const box = $("#timer-box");
    box.classList.remove("flash");
    void box.offsetWidth; // restart the animation
    box.classList.add("flash");
  },
  onZero: () => timeUpLocally(),
});

export async function ensurePaper() {
  if (page.paperLoaded) {
    bindTestUi();
    return;
  }
  if (!page.paperPromise) {
    page.paperPromise = loadPaper().catch((error) => {
      page.paperPromise = null;
      throw error;
    });
  }
  await page.paperPromise;
}

/** The paper is rendered on the server only once the test has started: fetch this page again and take it. */
async function loadPaper() {
  for (let attempt = 0; attempt < 4; attempt += 1) {
    try {
      const response = await fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        const screen = doc.getElementById("test-screen");
        const fresh = JSON.parse(doc.getElementById("student-test-config").textContent);
        if (screen && fresh.paper_loaded) {
          config.passages = fresh.passages;
          config.questions = fresh.questions;
          $("#screen-test").replaceChildren(document.importNode(screen, true));
          $("#student-test-config").replaceWith(document.importNode(doc.getElementById("student-test-config"), true));
          page.paperLoaded = true;
          bindTestUi();
          requestSync(); // anything acknowledged while the paper was loading shows up in this answer
          return;
        }
      }
    } catch {
      /* offline or the server is restarting: try again */
    }
    await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
  }
  window.location.reload();
  throw new Error("paper not available");
}

export function enterTest() {
  if (TEST_PHASES.has(page.phase) || page.phase === "finished" || page.phase === "closed") return;
  const submitting = outbox.entries.some((e) => e.type === "submit_attempt");
  setPhase(submitting ? "submitting" : "test");
  countdown.start();
  showScreen("test");
  if (submitting) lockInputs();
  else unlockInputs(); // a reopened attempt comes back from the finished screen
  if (countdown.known && countdown.remainingMs() <= 0) timeUpLocally();
  flush();
}

function timeUpLocally() {
  if (page.phase !== "test" && page.phase !== "submitting") return;
  commitTextInputs();
  page.phase = "timeup";
  lockInputs();
  const notice = $("#timeup-notice");
  if (notice) notice.hidden = false;
  announce("Time is up. You can no longer change your answers.");
  updateConnectionUi();
  flush(); // events already made still count if they arrive within the server's grace period
  setTimeout(() => page.phase === "timeup" && checkSessionOverRest(true), 15000);
}

export function lockInputs() {
  const sheet = $("#answer-sheet");
  if (sheet) sheet.disabled = true;
  const submit = $("#submit-open");
  if (submit) submit.disabled = true;
}

export function unlockInputs() {
  const sheet = $("#answer-sheet");
  if (sheet) sheet.disabled = false;
  const submit = $("#submit-open");
  if (submit) submit.disabled = false;
}

export function renderAll() {
  renderAnswers();
  renderFlags();
  renderNavigator();
  for (const passage of config.passages) renderHighlights(passage.id);
}

/** Wire the paper's controls, once it is on the page. */
export function bindTestUi() {
  if (page.uiBound || !$("#test-screen")) return;
  page.uiBound = true;

  for (const passage of config.passages) {
    const el = document.getElementById(`passage-text-${passage.id}`);
    if (el && el.textContent !== passage.text) el.textContent = passage.text; // offsets count over exactly this text
  }
  bindLayout();
  bindNavigator();
  bindAnswerSheet();
  bindHighlighting();
  bindNotes();
  bindSubmit();

  if (!page.current.questionId && questions().length) setCurrent(questions()[0].id, { send: false });
  showPassage(page.current.passageIndex);
  renderAll();
}
