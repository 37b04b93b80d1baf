// The student's notes on their highlights: right-click a highlight (or focus it and press N, or use the "Note"
// button beside a focused highlight) to write, change or remove its note. A highlight with a note shows an orange
// marker and the note on hover and focus. Notes go through the outbox like every event.

import { renderHighlights } from "./answers.js";
import { queue } from "./connection.js";
import { $, acceptingInput, page } from "./context.js";
import { announce } from "./screens.js";

export const MAX_NOTE_CHARS = 500;

let editing = null; // the highlight whose note the editor shows
let focusBack = null;

const markFor = (target) => target && target.closest && target.closest(".passage-text mark");

/** Open the note editor on the highlight of this key (the mark's `data-key`). */
export function openNoteEditor(key) {
  if (!acceptingInput()) return;
  const highlight = page.state.highlights.find((h) => h.key === key);
  const dialog = $("#note-dialog");
  if (!highlight || !dialog) return;
  editing = highlight;
  focusBack = document.activeElement;
  $("#note-quote").textContent = highlight.text.length > 80 ? `${highlight.text.slice(0, 79)}…` : highlight.text;
  const input = $("#note-text");
  input.value = highlight.note || "";
  $("#note-remove").hidden = !highlight.note;
  updateCount();
  hideNoteButton();
  dialog.showModal();
  input.focus();
}

function updateCount() {
  const length = $("#note-text").value.length;
  $("#note-count").textContent = `${length}/${MAX_NOTE_CHARS}`;
}

function closeEditor() {
  const dialog = $("#note-dialog");
  if (dialog.open) dialog.close();
}

/** Give the highlight this note (`null` removes it): at once on screen, then to the server. */
function setNote(highlight, note) {
  if ((highlight.note || null) === note) return;
  highlight.note = note;
  const data = highlight.id != null ? { highlight_id: highlight.id, note } : { ref: highlight.eventId, note };
  queue("highlight_noted", data);
  renderHighlights(highlight.passageId);
  announce(note ? "Note saved." : "Note removed.");
}

function save(note) {
  const highlight = editing;
  closeEditor();
  if (!highlight || !acceptingInput() || !page.state.highlights.includes(highlight)) return;
  setNote(highlight, note && note.trim() ? note.slice(0, MAX_NOTE_CHARS) : null);
}

/** Beside a highlight that has the keyboard's focus: a small "Note" button (the highlight's menu). */
function showNoteButton(mark) {
  const button = $("#note-open");
  if (!button || !acceptingInput()) return;
  button.dataset.key = mark.dataset.key;
  button.textContent = mark.classList.contains("noted") ? "Edit note" : "Note";
  button.hidden = false;
  // Just after the highlight's end, on its line: clear of the note shown below the highlight.
  const rects = mark.getClientRects();
  const end = rects[rects.length - 1] || mark.getBoundingClientRect();
  const maxLeft = window.innerWidth - button.offsetWidth - 8;
  const top = end.top + end.height / 2 - button.offsetHeight / 2;
  button.style.top = `${Math.max(8, Math.min(top, window.innerHeight - button.offsetHeight - 8))}px`;
  button.style.left = `${Math.max(8, Math.min(end.right + 8, maxLeft))}px`;
}

function hideNoteButton() {
  const button = $("#note-open");
  if (button) button.hidden = true;
}

export function bindNotes() {
  const sheet = $("#answer-sheet");
  const dialog = $("#note-dialog");
  if (!sheet || !dialog) return;
  sheet.addEventListener("contextmenu", (event) => {
    const mark = markFor(event.target);
    if (!mark || !acceptingInput()) return;
    event.preventDefault();
    openNoteEditor(mark.dataset.key);
  });
  sheet.addEventListener("keydown", (event) => {
    const mark = markFor(event.target);
    if (mark && (event.key === "n" || event.key === "N") && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      openNoteEditor(mark.dataset.key);
    }
  });
  sheet.addEventListener("focusin", (event) => {
    const mark = markFor(event.target);
    if (mark) showNoteButton(mark);
  });
  sheet.addEventListener("focusout", (event) => {
    if (event.relatedTarget !== $("#note-open")) hideNoteButton();
  });
  const button = $("#note-open");
  button.addEventListener("click", () => openNoteEditor(button.dataset.key));
  button.addEventListener("blur", hideNoteButton);
  $("#note-text").addEventListener("input", updateCount);
  $("#note-form").addEventListener("submit", (event) => {
    event.preventDefault();
    save($("#note-text").value);
  });
  $("#note-remove").addEventListener("click", () => save(null));
  $("#note-cancel").addEventListener("click", closeEditor);
  dialog.addEventListener("close", () => {
    editing = null;
    const back = focusBack;
    focusBack = null;
    // The mark was redrawn: focus the new one over the same highlight, else whatever had the focus.
    const key = back && back.dataset && back.dataset.key;
    const mark = key && document.querySelector(`.passage-text mark[data-key="${CSS.escape(key)}"]`);
    (mark || (back && back.isConnected ? back : null))?.focus();
  });
}
