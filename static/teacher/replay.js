// The timeline's replay on screen: the scrubber (a range input, so arrows, Page Up/Down, Home and End move it), the
// cursor on the server-drawn axis, and the student's paper at that moment: each question's answer, flag and
// whether it was the current one, the highlights standing, and where the student was. The states come from
// replay-state.js.

import { formatClockTime } from "../common/format.js";
import { createReplay, nextStepMs, offsetText, paperAt, previousStepMs } from "./replay-state.js";

const data = JSON.parse(document.getElementById("replay-data").textContent);
const replay = createReplay(data);
const scrubber = document.getElementById("replay-time");
const at = document.getElementById("replay-at");
const last = document.getElementById("replay-last");
const where = document.getElementById("replay-where");
const cursor = document.getElementById("replay-cursor");
const highlightList = document.getElementById("replay-highlights");
const rows = new Map(
  [...document.querySelectorAll("#replay-answers tr[data-question-id]")].map((row) => [row.dataset.questionId, row]),
);
const passageTitles = new Map(replay.passages.map((p) => [String(p.id), p.title]));
const spanMs = Math.max(1, replay.endMs - replay.startMs);

function momentText(ms) {
  return `${offsetText((ms - replay.startMs) / 1000)} (${formatClockTime(new Date(ms))})`;
}

function whereText(paper) {
  if (paper.ended) return "Handed in";
  const parts = [];
  if (paper.current?.question_index !== undefined && paper.current?.question_index !== null) {
    parts.push(`On Q${paper.current.question_index + 1}`);
  }
  if (paper.connected === false) parts.push("offline");
  if (paper.away) parts.push("away from the test page");
  return parts.length ? parts.join(" · ") : "Not started";
}

function render() {
  const ms = replay.startMs + Number(scrubber.value) * 1000;
  const paper = paperAt(replay, ms);
  const moment = momentText(ms);
  at.value = moment;
  scrubber.setAttribute("aria-valuetext", `${moment}: ${paper.last ? paper.last.words : "the start"}`);
  cursor.setAttribute("x1", String((1000 * (ms - replay.startMs)) / spanMs));
  cursor.setAttribute("x2", cursor.getAttribute("x1"));
  last.textContent = paper.last ? `${paper.last.offset} ${paper.last.words}` : "Nothing yet.";
  where.textContent = whereText(paper);
  const current = paper.current?.question_index;
  for (const question of replay.questions) {
    const row = rows.get(String(question.id));
    if (!row) continue;
    const answer = paper.answers[String(question.id)];
    row.querySelector(".replay-answer").textContent = answer ?? "—";
    row.querySelector(".replay-flag").textContent = paper.flagged.includes(String(question.id)) ? "⚑" : "";
    if (question.number - 1 === current && !paper.ended) row.setAttribute("aria-current", "step");
    else row.removeAttribute("aria-current");
  }
  highlightList.replaceChildren(
    ...paper.highlights.map((highlight) => {
      const item = document.createElement("li");
      const quote = document.createElement("q");
      quote.textContent = highlight.text;
      item.append(quote, ` in ${passageTitles.get(String(highlight.passage_id)) || "the passage"}`);
      if (highlight.note) item.append(` — note: ${highlight.note}`);
      return item;
    }),
  );
  document.getElementById("replay-no-highlights").hidden = paper.highlights.length > 0;
}

/** The scrubber counts whole seconds: a step counts from the second it falls in. */
function jumpTo(ms) {
  scrubber.value = String(Math.ceil((ms - replay.startMs) / 1000));
  render();
}

scrubber.addEventListener("input", render);
document.getElementById("replay-previous").addEventListener("click", () => {
  jumpTo(previousStepMs(replay, replay.startMs + (Number(scrubber.value) - 1) * 1000 + 1));
});
document.getElementById("replay-next").addEventListener("click", () => {
  jumpTo(nextStepMs(replay, replay.startMs + Number(scrubber.value) * 1000));
});
render();
