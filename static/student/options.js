// The student's display options (text size; colours: black on white, white on black, yellow on black), kept on
// this device per student, applied as classes on the page's root; and the page's keyboard shortcuts with the
// dialog that lists them. Reached by the header's "Options" button or Alt+O.

import { $, $$, config } from "./context.js";

export const TEXT_SIZES = { regular: "Regular", large: "Large", xlarge: "Extra large" };
export const COLOURS = { standard: "Black on white", inverse: "White on black", yellow: "Yellow on black" };
const DEFAULTS = { size: "regular", colours: "standard" };

const storageKey = () => `ielts-options:${config.user_id}`;

export function loadOptions() {
  try {
    const stored = JSON.parse(localStorage.getItem(storageKey()) || "{}");
    return {
      size: stored.size in TEXT_SIZES ? stored.size : DEFAULTS.size,
      colours: stored.colours in COLOURS ? stored.colours : DEFAULTS.colours,
    };
  } catch {
    return { ...DEFAULTS };
  }
}

function saveOptions(options) {
  try {
    localStorage.setItem(storageKey(), JSON.stringify(options));
  } catch {
    // storage full or refused: the options hold for this page only
  }
}

/** The options as classes on <html>: `text-<size>` and `colours-<scheme>`. */
export function applyOptions(options) {
  const root = document.documentElement;
  for (const size of Object.keys(TEXT_SIZES)) root.classList.toggle(`text-${size}`, options.size === size);
  for (const scheme of Object.keys(COLOURS)) root.classList.toggle(`colours-${scheme}`, options.colours === scheme);
}

function renderChoices(options) {
  for (const input of $$("#options-dialog input[type=radio]")) {
    input.checked = options[input.name === "text-size" ? "size" : "colours"] === input.value;
  }
}

function openDialog(id) {
  const dialog = document.getElementById(id);
  if (!dialog || dialog.open) return;
  for (const other of $$("dialog[open]")) if (other.classList.contains("page-help")) other.close();
  dialog.showModal();
}

export function openOptions() {
  renderChoices(loadOptions());
  openDialog("options-dialog");
  ($("#options-dialog input:checked") || $("#options-dialog input"))?.focus();
}

export function openShortcuts() {
  openDialog("shortcuts-dialog");
}

const click = (selector) => {
  const button = $(selector);
  if (button && !button.disabled && button.offsetParent !== null) button.click();
};

// Alt+<letter>, read by the key's place (event.code) so that a Mac's Option characters do not get in the way.
const SHORTCUTS = {
  KeyN: () => click("#next-question"),
  KeyP: () => click("#prev-question"),
  KeyH: () => $(".part:not([hidden]) .hl-button")?.click(),
  KeyO: openOptions,
  KeyK: openShortcuts,
};

export function bindOptions() {
  const options = loadOptions();
  applyOptions(options);
  const dialog = $("#options-dialog");
  if (!dialog) return;
  dialog.addEventListener("change", (event) => {
    const input = event.target;
    if (input.type !== "radio") return;
    const current = loadOptions();
    if (input.name === "text-size") current.size = input.value;
    else current.colours = input.value;
    applyOptions(current);
    saveOptions(current);
  });
  $("#options-open").addEventListener("click", openOptions);
  $("#options-close").addEventListener("click", () => dialog.close());
  $("#options-shortcuts").addEventListener("click", () => {
    dialog.close();
    openShortcuts();
  });
  $("#shortcuts-close").addEventListener("click", () => $("#shortcuts-dialog").close());
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const action = SHORTCUTS[event.code];
    if (!action) return;
    const modal = $("dialog[open]");
    if (modal && !modal.classList.contains("page-help")) return; // not behind the submit or note dialog
    event.preventDefault();
    action();
  });
}
