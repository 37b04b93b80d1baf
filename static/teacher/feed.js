// The live monitor's event feed on screen, newest first. The server's log is the feed: its last lines are read
// on load and after every reconnect ("Earlier events" pages further back), and the live lines join them as they
// come, each at the moment it happened (an answer a student made offline lands where it belongs). Rebuilt and
// live lines are worded alike, by feed-lines.js.

import { api } from "../common/api.js";
import { formatClockTime } from "../common/format.js";
import { singleFlight } from "../common/single-flight.js";
import { feedLine, key } from "./board.js";

// Beyond this many lines the oldest go; "Earlier events" brings them back.
const MAX_LINES = 500;

/** board: the board's state (names, question numbers); url: the feed's JSON route; list, earlierButton: elements. */
export function createFeed({ board, url, list, earlierButton }) {
  let heardWhileLoading = null; // live lines that arrive while the last lines load
  let earlierCursor = null;

  function item(line, cursor = null) {
    const li = document.createElement("li");
    li.className = `feed-item kind-${line.kind}${line.minor ? " minor" : ""}`;
    li.dataset.kind = line.kind;
    if (line.studentId !== null) li.dataset.studentId = key(line.studentId);
    if (cursor) li.dataset.cursor = cursor;
    const parsed = line.timestamp ? new Date(line.timestamp) : new Date(Date.now() + board.clockOffsetMs);
    const moment = Number.isNaN(parsed.getTime()) ? new Date(Date.now() + board.clockOffsetMs) : parsed;
    li.dataset.at = String(moment.getTime());
    const time = Object.assign(document.createElement("time"), {
      dateTime: moment.toISOString(),
      textContent: formatClockTime(moment),
    });
    const body = Object.assign(document.createElement("span"), { textContent: line.text });
    li.append(time, " ", body);
    return li;
  }

  /** Put a line where its moment belongs: after the newer ones, before the older (or as old). */
  function place(li) {
    const at = Number(li.dataset.at);
    let before = list.firstElementChild;
    while (before && Number(before.dataset.at) > at) before = before.nextElementSibling;
    list.insertBefore(li, before);
  }

  function showEarlier(cursor) {
    earlierCursor = cursor;
    earlierButton.hidden = !cursor;
  }

  function trim() {
    if (list.children.length <= MAX_LINES) return;
    while (list.children.length > MAX_LINES) list.lastElementChild.remove();
    const oldest = list.lastElementChild;
    showEarlier(oldest.dataset.cursor || `${new Date(Number(oldest.dataset.at)).toISOString()},0,0`);
  }

  /** A page of the server's lines (oldest first) as feed items, newest first. */
  function itemsOf(page) {
    return page.lines
      .map((entry) => ({ entry, line: feedLine(board, entry) }))
      .filter(({ line }) => line)
      .reverse()
      .map(({ entry, line }) => item(line, entry.cursor));
  }

  async function loadLast() {
    heardWhileLoading = [];
    try {
      const page = await api(url);
      const asOf = Date.parse(page.as_of);
      list.replaceChildren(...itemsOf(page));
      showEarlier(page.earlier);
      // What was heard after the server read its log is not in the page.
      for (const line of heardWhileLoading) if (!(Date.parse(line.heardAt) <= asOf)) place(item(line));
    } finally {
      heardWhileLoading = null;
    }
  }

  earlierButton.addEventListener("click", async () => {
    if (!earlierCursor || earlierButton.disabled) return;
    earlierButton.disabled = true;
    earlierButton.setAttribute("aria-busy", "true");
    try {
      const page = await api(`${url}?before=${encodeURIComponent(earlierCursor)}`);
      list.append(...itemsOf(page));
      showEarlier(page.earlier);
    } catch (error) {
      console.warn("live monitor: earlier events", error);
    } finally {
      earlierButton.disabled = false;
      earlierButton.removeAttribute("aria-busy");
    }
  });

  return {
    /** Lines from live messages (board.js's changes.feed). */
    live(lines) {
      if (!lines.length) return;
      if (heardWhileLoading) heardWhileLoading.push(...lines);
      for (const line of lines) place(item(line));
      trim();
    },
    /** Read the last lines again (on load and after a reconnect); one load at a time, again if asked meanwhile. */
    rebuild: singleFlight(loadLast),
  };
}
