// Writing: each essay's text box with its live word count ("213 words · at least 250"), saved as the student
// types through the outbox: at most one `answer_submitted` per second per essay, the last text always kept (a
// save waiting for its second sends whatever is typed by then; a newer save replaces an older one still queued,
// so an hour offline keeps one copy per essay, not thousands).

import { formatBand } from "../common/format.js";
import { countWords, wordsText } from "../common/words.js";
import { queue } from "./connection.js";
import { $, $$, acceptingInput, config, page, questionById } from "./context.js";
import { renderNavigator } from "./navigator.js";

export const ESSAY_SAVE_EVERY_MS = 1000;
const lastSaved = new Map(); // essay's question id → when its last save was queued (this page's clock)

export function showWordCount(textarea) {
  const note = document.getElementById(`words-${textarea.dataset.questionId}`);
  if (!note) return;
  const minimum = Number(textarea.dataset.minWords || 0);
  const words = countWords(textarea.value);
  note.textContent = minimum ? `${wordsText(words)} · at least ${minimum}` : wordsText(words);
  note.classList.toggle("under-minimum", words < minimum);
}

function save(key) {
  page.textTimers.delete(key);
  if (page.phase !== "test" && page.phase !== "timeup") return; // typed before a pause or the end still goes
  const textarea = document.getElementById(`answer-${key}`);
  if (!textarea) return;
  const value = textarea.value;
  if ((page.committed.get(key) ?? "") === value) return;
  page.committed.set(key, value);
  lastSaved.set(key, Date.now());
  const q = questionById(key);
  queue("answer_submitted", { question_id: q ? q.id : Number(key), answer: value }, { replacesPending: true });
}

function typed(textarea) {
  const key = String(textarea.dataset.questionId);
  const value = textarea.value;
  if (value.trim() === "") page.state.answers.delete(key);
  else page.state.answers.set(key, value);
  showWordCount(textarea);
  renderNavigator();
  if (page.textTimers.has(key)) return; // the save already waiting takes this text too
  const wait = Math.max(0, (lastSaved.get(key) ?? -Infinity) + ESSAY_SAVE_EVERY_MS - Date.now());
  page.textTimers.set(key, setTimeout(() => save(key), wait));
}

/** Each essay's box shows the text the page knows (the server's, with what waits in the outbox on top). */
export function renderEssay(textarea, value) {
  const key = String(textarea.dataset.questionId);
  if (document.activeElement !== textarea || !page.textTimers.has(key)) {
    if (textarea.value !== value) textarea.value = value;
  }
  showWordCount(textarea);
}

export function bindWriting() {
  const essays = $$(".essay-answer");
  if (!essays.length) return;
  for (const textarea of essays) {
    textarea.addEventListener("input", () => {
      if (!acceptingInput()) {
        renderEssay(textarea, page.state.answers.get(String(textarea.dataset.questionId)) ?? "");
        return;
      }
      typed(textarea);
    });
    showWordCount(textarea);
  }
  $("#test-screen")?.classList.add("writing-paper");
}

/** The finished screen of a Writing attempt: its band and each task's, with the teacher's comments, once every task
 * is marked and the results are released (until then the server sends them as null). Returns whether it is held. */
export function showWritingResult(attempt) {
  const held = attempt.status === "SUBMITTED" && attempt.band == null;
  $("#finished-held").hidden = !held;
  if (held) return true;
  if (attempt.band == null) return false;
  $("#finished-result").textContent = `Writing band ${formatBand(attempt.band)}`;
  $("#finished-result").hidden = false;
  const numbers = config.question_numbers || {};
  const rows = attempt.writing.map((item, index) => {
    const row = document.createElement("li");
    row.value = numbers[item.question_id] || index + 1;
    const comment = item.comment ? ` “${item.comment}”` : "";
    row.textContent = `Task ${index + 1}: band ${formatBand(item.band)} (${wordsText(item.words)}).${comment}`;
    return row;
  });
  $("#finished-review-title").textContent = "Your Writing";
  $("#finished-review-list").replaceChildren(...rows);
  $("#finished-review").hidden = false;
  return false;
}
