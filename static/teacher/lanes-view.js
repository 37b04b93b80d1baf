// The live monitor's pace lanes on screen: one row per student who came (in the board's order), their question
// over the test's time against the guide (the dashed line), what the lane says (stuck, behind pace, on pace) and
// the projected band; a card carries the warning as a tag too. Redrawn when a student's lane changes and on a
// local timer (the warnings follow the clock, not the server: nothing is broadcast for them).

import { isAbsent, key, orderedStudents } from "./board.js";
import { classMedians, guidePoints, lanePoints, laneState, answersOf, passageSeconds } from "./pace.js";
import { bandSummary, paceSummary } from "./pace-read.js";
import { projectBand } from "./projection.js";
import { serverNowMs } from "./board-state.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 400;
const HEIGHT = 44;
const TICK_MS = 5000;

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [attribute, value] of Object.entries(attributes)) element.setAttribute(attribute, String(value));
  return element;
}

/**
 * board: the board's state; lanes: pace.js's; keys, bandTable: for the projection; questionCount; cardOf(id): the
 * student's card element, for its tag.
 */
export function createLanesView({ board, lanes, keys, bandTable, questionCount, cardOf }) {
  const list = document.getElementById("lanes");
  const rows = new Map(); // String(student_id) -> {root, parts, last}
  let frameRequested = false;

  function createRow(student) {
    const root = document.createElement("li");
    root.className = "lane";
    root.dataset.studentId = key(student.id);
    const name = document.createElement("span");
    name.className = "lane-name";
    const chart = svgElement("svg", {
      class: "lane-chart", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: "none", role: "img",
    }); // prettier-ignore
    const state = document.createElement("span");
    state.className = "lane-state";
    const band = document.createElement("span");
    band.className = "lane-band";
    root.append(name, chart, state, band);
    const row = { root, parts: { name, chart, state, band }, last: {} };
    rows.set(key(student.id), row);
    return row;
  }

  function put(row, field, value, write) {
    if (row.last[field] === value) return;
    row.last[field] = value;
    write(value);
  }

  const x = (seconds, total) => ((WIDTH * Math.min(seconds, total)) / total).toFixed(1);
  const y = (index) => ((HEIGHT - 4) * index) / Math.max(1, questionCount - 1) + 2;

  function chartMarkup(student, nowMs) {
    const total = passageSeconds(lanes, student.extraSeconds) * Math.max(1, lanes.passages.length);
    const points = (list) => list.map(([seconds, index]) => `${x(seconds, total)},${y(index).toFixed(1)}`).join(" ");
    const path = lanePoints(lanes, student, nowMs);
    return [
      svgElement("polyline", { class: "lane-guide", points: points(guidePoints(lanes, student.extraSeconds)) }),
      svgElement("polyline", { class: "lane-path", points: points(path) }),
      ...(path.length ? [svgElement("circle", { class: "lane-now", cx: x(path.at(-1)[0], total),
                                                cy: y(path.at(-1)[1]), r: 3 })] : []),  // prettier-ignore
    ];
  }

  function renderRow(student, nowMs, medians) {
    const row = rows.get(key(student.id)) || createRow(student);
    const { parts, root } = row;
    const state = laneState(lanes, student, nowMs, medians);
    const pace = paceSummary(lanes, state);
    const projection = bandSummary(projectBand(answersOf(lanes, student.id), keys, questionCount, bandTable), questionCount);
    put(row, "name", student.name, (text) => {
      parts.name.textContent = text;
    });
    const kind = pace ? pace.kind : student.attemptStatus === "SUBMITTED" ? "done" : "waiting";
    root.dataset.pace = kind;
    put(row, "state", pace ? `${pace.text}|${pace.title}` : kind, () => {
      parts.state.textContent = pace ? pace.text : kind === "done" ? "Handed in" : "Not working";
      parts.state.title = pace ? pace.title : "";
    });
    put(row, "band", projection ? `${projection.text}|${projection.title}` : "", () => {
      parts.band.textContent = projection ? projection.text : "";
      parts.band.title = projection ? projection.title : "";
      parts.band.hidden = !projection;
    });
    parts.chart.replaceChildren(...chartMarkup(student, nowMs));
    const label = `${student.name}: ${pace ? pace.text : parts.state.textContent}`;
    put(row, "label", label, (text) => parts.chart.setAttribute("aria-label", `Pace lane of ${text}`));
    tagCard(student, pace);
    return row;
  }

  function tagCard(student, pace) {
    const tag = cardOf(student.id)?.querySelector(".pace-tag");
    if (!tag) return;
    const text = pace && pace.kind !== "on-pace" ? (pace.kind === "stuck" ? pace.text.split(" · ")[0] : "Behind pace") : "";
    if (tag.textContent !== text) tag.textContent = text;
    tag.dataset.pace = pace ? pace.kind : "";
    tag.title = pace ? pace.title : "";
    tag.hidden = !text;
  }

  function redraw() {
    frameRequested = false;
    const nowMs = serverNowMs(board);
    const medians = classMedians(lanes);
    const shown = orderedStudents(board).filter((student) => !isAbsent(student));
    const wanted = shown.map((student) => renderRow(student, nowMs, medians).root);
    for (const [id, row] of rows) {
      if (!board.students.has(id)) {
        row.root.remove();
        rows.delete(id);
      }
    }
    const current = [...list.children];
    if (current.length !== wanted.length || current.some((node, i) => node !== wanted[i])) list.replaceChildren(...wanted);
    document.getElementById("lanes-empty").hidden = wanted.length > 0;
  }

  function requestRedraw() {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(redraw);
  }

  setInterval(requestRedraw, TICK_MS);
  requestRedraw();
  return { redraw: requestRedraw };
}
