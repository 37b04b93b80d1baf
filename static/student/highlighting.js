// The student's highlights in the passages: made by selecting with the mouse (at once), with the keyboard
// and the "Highlight selection" button, or by touch (press and hold, adjust the handles, tap the "Highlight"
// button that appears beside the selection); removed by a click or a tap, with a few seconds to undo.

import { renderHighlights } from "./answers.js";
import { flush, outbox, queue } from "./connection.js";
import { $, $$, acceptingInput, page, passageById } from "./context.js";
import { selectionOffsets, utf16ToCodePoints } from "./highlights.js";
import { announce } from "./screens.js";

const UNDO_MS = 6000;
const BESIDE_SELECTION_PX = 36; // below the selection's end, clear of the handle a phone draws there

let undoTimer = null;
let removedHighlight = null;
let touchSelecting = false;

/** A highlight over [start, end) of the passage (code points), queued for the server. */
function addHighlight(passage, start, end) {
  const chars = [...passage.text];
  const data = { passage_id: passage.id, text: chars.slice(start, end).join(""), position_start: start, position_end: end };
  const entry = outbox.add("text_highlighted", data);
  page.state.highlights.push({
    key: `e:${entry.event_id}`,
    id: null,
    eventId: entry.event_id,
    passageId: String(passage.id),
    text: data.text,
    start,
    end,
    pending: true,
    note: null,
  });
  renderHighlights(passage.id);
  flush();
}

function highlightSelection(passageEl) {
  if (!acceptingInput() || !passageEl) return false;
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return false;
  const passage = passageById(passageEl.dataset.passageId);
  const offsets = selectionOffsets(passageEl, selection.getRangeAt(0));
  if (!passage || !offsets) return false;
  selection.removeAllRanges();
  addHighlight(passage, utf16ToCodePoints(passage.text, offsets.start), utf16ToCodePoints(passage.text, offsets.end));
  return true;
}

function removeHighlight(key) {
  if (!acceptingInput()) return;
  const highlight = page.state.highlights.find((h) => h.key === key);
  if (!highlight) return;
  page.state.highlights = page.state.highlights.filter((h) => h !== highlight);
  renderHighlights(highlight.passageId);
  if (highlight.id != null) queue("highlight_removed", { highlight_id: highlight.id });
  else queue("highlight_removed", { ref: highlight.eventId });
  offerUndo(highlight);
  announce("Highlight removed.");
}

/** A removed highlight can be put back for a few seconds (a tap on a phone removes one easily by mistake). */
function offerUndo(highlight) {
  removedHighlight = highlight;
  clearTimeout(undoTimer);
  $("#undo-toast").hidden = false;
  undoTimer = setTimeout(hideUndo, UNDO_MS);
}

function hideUndo() {
  clearTimeout(undoTimer);
  removedHighlight = null;
  $("#undo-toast").hidden = true;
}

function undoRemoval() {
  const passage = removedHighlight && passageById(removedHighlight.passageId);
  if (passage && acceptingInput()) {
    addHighlight(passage, removedHighlight.start, removedHighlight.end);
    announce("Highlight restored.");
  }
  hideUndo();
}

const shownPassageText = () =>
  $$(".part:not([hidden]) .passage-text").find((el) => getComputedStyle(el).visibility === "visible");

/** The selected range when it lies in the passage on screen, else null. */
function passageSelection() {
  const el = shownPassageText();
  const selection = window.getSelection();
  if (!el || !selection || selection.isCollapsed || selection.rangeCount === 0) return null;
  const range = selection.getRangeAt(0);
  return range.intersectsNode(el) ? { el, range } : null;
}

/** After a selection made by touch, a "Highlight" button just below where it ends. */
function placeSelectionButton() {
  const button = $("#selection-highlight");
  if (!button) return;
  const selected = touchSelecting && acceptingInput() ? passageSelection() : null;
  const rects = selected ? selected.range.getClientRects() : [];
  if (!rects.length) {
    button.hidden = true;
    return;
  }
  button.hidden = false;
  const end = rects[rects.length - 1];
  const maxTop = window.innerHeight - button.offsetHeight - 8;
  const maxLeft = window.innerWidth - button.offsetWidth - 8;
  button.style.top = `${Math.max(8, Math.min(end.bottom + BESIDE_SELECTION_PX, maxTop))}px`;
  button.style.left = `${Math.max(8, Math.min(end.right - button.offsetWidth / 2, maxLeft))}px`;
}

export function bindHighlighting() {
  const sheet = $("#answer-sheet");
  sheet.addEventListener("click", (event) => {
    const mark = event.target.closest(".passage-text mark");
    if (mark && !page.justHighlighted) removeHighlight(mark.dataset.key);
  });
  sheet.addEventListener("keydown", (event) => {
    const mark = event.target.closest && event.target.closest(".passage-text mark");
    if (mark && ["Enter", " ", "Delete", "Backspace"].includes(event.key)) {
      event.preventDefault();
      removeHighlight(mark.dataset.key);
    }
  });
  const keepSelection = (event) => event.preventDefault();
  for (const button of $$(".hl-button")) {
    button.addEventListener("mousedown", keepSelection);
    button.addEventListener("click", () => {
      if (!highlightSelection(document.getElementById(`passage-text-${button.dataset.passageId}`))) {
        announce("Select some words in the passage first.");
      }
    });
  }
  const selectionButton = $("#selection-highlight");
  selectionButton.addEventListener("pointerdown", keepSelection);
  selectionButton.addEventListener("mousedown", keepSelection);
  selectionButton.addEventListener("click", () => {
    const selected = passageSelection();
    if (selected) highlightSelection(selected.el);
    placeSelectionButton();
  });
  $("#undo-remove").addEventListener("click", undoRemoval);

  document.addEventListener(
    "pointerdown",
    (event) => {
      if (event.target !== selectionButton) touchSelecting = event.pointerType === "touch";
    },
    { capture: true },
  );
  document.addEventListener("selectionchange", placeSelectionButton);
  document.addEventListener("scroll", placeSelectionButton, { capture: true, passive: true });
  document.addEventListener("mouseup", () => {
    const selected = touchSelecting ? null : passageSelection();
    if (selected && highlightSelection(selected.el)) {
      page.justHighlighted = true;
      setTimeout(() => {
        page.justHighlighted = false;
      }, 0);
    }
  });
}
