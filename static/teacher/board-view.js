// The live monitor's board on screen: the status badge and counts, the countdown, one card per student (with
// its own clock, offline time and controls) in the order and filter the teacher chose, and one line for those
// who never came. DOM writes are batched into one animation
// frame, and only the cards that changed are touched; a card writes a value only when it differs from the one
// it shows. The clocks tick on the server's time: a card's own countdown and a running offline count too.

import {
  awayText,
  boardLayout,
  cardControls,
  cardTags,
  controlHint,
  countdownState,
  devicesText,
  durationText,
  extraText,
  giveBackSeconds,
  key,
  lastHighlight,
  offlineText,
  ownClock,
  positionText,
  reviewText,
  statusText,
  statusTitle,
  wordsLine,
} from "./board.js";

const CONTROL_LABELS = {
  extra: (name) => `Extra time for ${name}`,
  message: (name) => `Message ${name}`,
  finish: (name) => `Finish ${name}'s test`,
  reopen: (name) => `Reopen ${name}'s test`,
  review: (name) => `Review ${name}'s violations`,
};

const $ = (selector, root = document) => root.querySelector(selector);

/**
 * board: the state from board.js; statusLabels: status → what the badge says; timelineUrl: with "{id}"
 * for the attempt; onHeader(board): redraw whatever else follows the session (the controls).
 */
export function createBoardView({ board, statusLabels, questionCount, timelineUrl, onHeader }) {
  const boardEl = document.getElementById("board");
  const cardTemplate = document.getElementById("card-template");
  const countdown = document.getElementById("countdown");
  const cards = new Map(); // String(student_id) -> {root, parts, last}
  const dirty = new Set();
  let frameRequested = false;
  let orderDirty = true;
  let headerDirty = true;
  let layout = { sort: "name", filter: "all" };

  function requestFrame() {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(flush);
  }

  function createCard(student) {
    const root = cardTemplate.content.firstElementChild.cloneNode(true);
    root.dataset.studentId = key(student.id);
    const parts = {
      dot: $(".dot", root),
      name: $(".name", root),
      status: $(".attempt-status", root),
      bar: $(".bar", root),
      fill: $(".fill", root),
      answered: $(".answered", root),
      position: $(".position", root),
      flagged: $(".flagged", root),
      violations: $(".violations", root),
      reviewed: $(".reviewed", root),
      away: $(".away-line", root),
      highlight: $(".highlight", root),
      devices: $(".devices", root),
      extra: $(".extra", root),
      tags: $(".state-tags", root),
      ownTime: $(".own-time", root),
      ownClock: $(".own-clock", root),
      offline: $(".offline-line", root),
      words: $(".words-line", root),
      offlineTime: $(".offline-time", root),
      giveBack: $('[data-control="give-back"]', root),
      notice: $(".card-notice", root),
      actions: $(".card-actions", root),
      controls: Object.fromEntries(
        Object.keys(CONTROL_LABELS).map((name) => [name, $(`[data-control="${name}"]`, root)]),
      ),
    };
    parts.bar.setAttribute("aria-valuemax", String(questionCount));
    root.addEventListener("animationend", () => root.classList.remove("flash"));
    const card = { root, parts, last: {} };
    cards.set(key(student.id), card);
    return card;
  }

  /** Write a value only when it changed, so an event touches only what it changed. */
  function put(card, field, value, write) {
    if (card.last[field] === value) return;
    card.last[field] = value;
    write(value);
  }

  function renderCard(student) {
    const card = cards.get(key(student.id)) || createCard(student);
    const { parts, root } = card;
    put(card, "connected", student.connected, (connected) => {
      parts.dot.dataset.state = connected ? "connected" : "disconnected";
      parts.dot.setAttribute("aria-label", connected ? "connected" : "disconnected");
      parts.dot.title = connected ? "Connected" : "Disconnected";
      root.classList.toggle("offline", !connected);
    });
    put(card, "name", student.name, (name) => {
      parts.name.textContent = name;
      parts.actions.setAttribute("aria-label", `Controls for ${name}`);
      for (const [control, label] of Object.entries(CONTROL_LABELS)) {
        parts.controls[control].setAttribute("aria-label", label(name));
      }
      card.last.giveBack = undefined; // its label names the student
    });
    put(card, "attempt", student.attemptId, (attemptId) => {
      if (attemptId === null || attemptId === undefined) {
        parts.name.removeAttribute("href");
        parts.name.title = "No attempt yet";
      } else {
        parts.name.href = timelineUrl.replace("{id}", encodeURIComponent(attemptId));
        parts.name.title = "Open this student's timeline";
      }
    });
    put(card, "status", statusText(student, questionCount), (text) => {
      parts.status.textContent = text;
      parts.status.title = statusTitle(student, questionCount);
    });
    put(card, "attemptStatus", student.attemptStatus || "NONE", (value) => {
      root.dataset.attemptStatus = value;
    });
    put(card, "answered", student.answered, (answered) => {
      const total = questionCount || 1;
      parts.answered.textContent = `${answered}/${questionCount}`;
      parts.fill.style.width = `${Math.min(100, (100 * answered) / total)}%`;
      parts.bar.setAttribute("aria-valuenow", String(answered));
      parts.bar.setAttribute("aria-label", `${answered} of ${questionCount} answered`);
    });
    put(card, "words", wordsLine(board, student), (text) => {
      parts.words.textContent = text;
      parts.words.hidden = !text;
    });
    put(card, "position", positionText(student), (text) => {
      parts.position.textContent = text;
    });
    put(card, "flagged", student.flagged.size, (count) => {
      parts.flagged.textContent = String(count);
      parts.flagged.classList.toggle("some", count > 0);
    });
    put(card, "violations", student.violations, (count) => {
      parts.violations.textContent = String(count);
      parts.violations.classList.toggle("some", count > 0);
    });
    put(card, "reviewed", reviewText(student), (text) => {
      parts.reviewed.textContent = text ? ` (${text})` : "";
    });
    put(card, "away", awayText(student), (text) => {
      parts.away.textContent = text;
      parts.away.dataset.state = student.away ? "now" : "back";
      parts.away.title = student.away ? "Off the test page now: another tab or window" : "The last time off the test page";
      parts.away.hidden = !text;
    });
    put(card, "devices", devicesText(student), (text) => {
      parts.devices.textContent = text;
      parts.devices.title = text ? `${student.connections} connections open: tabs or devices` : "";
      parts.devices.hidden = !text;
    });
    put(card, "extra", extraText(student), (text) => {
      parts.extra.textContent = text;
      parts.extra.title = text ? `This student's deadline is ${text} from the class's` : "";
      parts.extra.hidden = !text;
    });
    put(card, "tags", cardTags(student).join(" · "), (text) => {
      parts.tags.textContent = text;
      parts.tags.hidden = !text;
    });
    put(card, "notice", student.notice ? `${student.notice.kind}|${student.notice.text}` : "", () => {
      parts.notice.textContent = student.notice ? student.notice.text : "";
      parts.notice.dataset.kind = student.notice ? student.notice.kind : "";
      parts.notice.hidden = !student.notice;
    });
    const allowed = cardControls(board, student);
    for (const [control, button] of Object.entries(parts.controls)) {
      put(card, `control-${control}`, allowed[control], (on) => {
        button.hidden = !on;
      });
    }
    tickCard(card, student);
    if (student.flash) {
      student.flash = false;
      root.classList.remove("flash");
      void root.offsetWidth; // restart the animation
      root.classList.add("flash");
    }
    put(card, "highlight", lastHighlight(student), (text) => {
      parts.highlight.replaceChildren();
      if (text === null) {
        const none = document.createElement("span");
        none.className = "muted";
        none.textContent = "No highlight";
        parts.highlight.append(none);
      } else {
        const quote = document.createElement("q");
        quote.textContent = text.length > 80 ? `${text.slice(0, 79)}…` : text;
        quote.title = text;
        parts.highlight.append(quote);
      }
    });
    return card;
  }

  /** What moves with the clock on a card: its own countdown, the offline time and the give-back button. */
  function tickCard(card, student) {
    const { parts } = card;
    const clock = ownClock(board, student);
    put(card, "ownClock", clock ? `${clock.text}|${clock.level}` : "", () => {
      parts.ownTime.hidden = !clock;
      parts.ownClock.textContent = clock ? clock.text : "";
      parts.ownClock.dataset.level = clock ? clock.level : "";
    });
    put(card, "offline", offlineText(board, student), (text) => {
      parts.offlineTime.textContent = text;
      parts.offline.hidden = !text;
    });
    const seconds = giveBackSeconds(board, student);
    put(card, "giveBack", seconds, () => {
      parts.giveBack.hidden = seconds < 1;
      parts.giveBack.dataset.seconds = String(seconds);
      parts.giveBack.textContent = `Give back ${durationText(seconds)}`;
      parts.giveBack.setAttribute("aria-label", `Give back ${durationText(seconds)} to ${student.name}`);
    });
  }

  function orderBoard() {
    const { cards: shown, absent } = boardLayout(board, layout);
    const wanted = shown.map((student) => renderCard(student).root);
    for (const [id, card] of cards) {
      if (!board.students.has(id)) {
        card.root.remove();
        cards.delete(id);
      }
    }
    const current = [...boardEl.children];
    if (current.length !== wanted.length || current.some((node, i) => node !== wanted[i])) {
      boardEl.replaceChildren(...wanted);
    }
    const absentLine = document.getElementById("board-absent");
    absentLine.textContent = absent.length ? `${absent.length} absent: ${absent.join(", ")}` : "";
    absentLine.hidden = !absent.length;
    document.getElementById("board-empty").hidden = board.students.size > 0;
    document.getElementById("board-none-shown").hidden = wanted.length > 0 || absent.length === board.students.size;
  }

  function renderHeader() {
    const status = board.session.status;
    const badge = document.getElementById("session-status");
    badge.textContent = statusLabels[status] || status;
    badge.dataset.status = status;
    badge.className = `badge status-${String(status).toLowerCase()}`;
    for (const [name, value] of Object.entries(board.counts)) {
      const id = name === "violations_total" ? "count-violations" : `count-${name}`;
      document.getElementById(id).textContent = value === null || value === undefined ? "–" : String(value);
    }
    onHeader?.(board);
    const hint = document.getElementById("control-hint");
    hint.textContent = controlHint(board);
    tick();
  }

  function flush() {
    frameRequested = false;
    if (orderDirty) {
      orderDirty = false;
      orderBoard();
    }
    for (const id of dirty) {
      const student = board.students.get(id);
      if (student) renderCard(student);
    }
    dirty.clear();
    if (headerDirty) {
      headerDirty = false;
      renderHeader();
      for (const student of board.students.values()) renderCard(student); // the controls follow the status
    }
  }

  /** The countdown, on the server's clock, and the cards' clocks. */
  function tick() {
    const { text, level } = countdownState(board);
    if (countdown.textContent !== text) countdown.textContent = text;
    if ((countdown.dataset.level || "") !== level) countdown.dataset.level = level;
    for (const [id, card] of cards) {
      const student = board.students.get(id);
      if (student) tickCard(card, student);
    }
  }
  setInterval(tick, 250);

  return {
    /** Draw what a change from board.js touched, in the next animation frame. */
    apply(changes) {
      for (const id of changes.students) dirty.add(id);
      // Any change may move a card in another order than by name, or out of a filter, or out of the absent line.
      if (changes.order || changes.students.size) orderDirty = true;
      if (changes.header) headerDirty = true;
      if (changes.students.size || changes.order || changes.header) requestFrame();
    },
    /** Sort and filter the cards: {sort: name|progress|violations|connection, filter: all|connected|away|attention}. */
    setLayout(next) {
      layout = { ...layout, ...next };
      orderDirty = true;
      requestFrame();
    },
    /** The card element of a student, if it is drawn. */
    cardOf(studentId) {
      return cards.get(key(studentId))?.root || null;
    },
    /** Redraw the header (and the controls) in the next frame: the busy state changed, say. */
    markHeader() {
      headerDirty = true;
      requestFrame();
    },
  };
}
