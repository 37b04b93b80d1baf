// What the teacher is told about during the test: leaving the tab, leaving the window, and pasting text
// that was not copied from this page. Each is queued as a tab_violation like any other change.

import { queue } from "./connection.js";
import { page } from "./context.js";
import { setBanner } from "./screens.js";

function violation(type) {
  if (page.phase !== "test" || page.paused) return; // leaving the page while the test is paused is no violation
  queue("tab_violation", { violation_type: type });
}

// Copying within the paper (a word of the passage into an answer box) is part of the real computer test;
// pasting text that was not copied from this page is reported, as a teacher would want to know.
function selectedText(target) {
  if (target && typeof target.selectionStart === "number" && typeof target.value === "string") {
    return target.value.slice(target.selectionStart, target.selectionEnd);
  }
  return String(document.getSelection() || "");
}

const normalized = (text) => text.replace(/\s+/g, " ").trim();

export function watchIntegrity() {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      page.lastHiddenAt = Date.now();
      violation("TAB_SWITCH");
    } else if (page.phase === "test" && !page.paused && page.lastHiddenAt) {
      setBanner("left-page", "You left the test page. Your teacher has been told.", "info");
      setTimeout(() => page.banner.key === "left-page" && setBanner("", ""), 6000);
    }
  });
  window.addEventListener("blur", () => {
    // Switching tabs blurs the window too: report that once, as a tab switch.
    setTimeout(() => {
      if (document.visibilityState === "hidden" || Date.now() - page.lastHiddenAt < 1000) return;
      violation("WINDOW_BLUR");
    }, 200);
  });
  for (const type of ["copy", "cut"]) {
    document.addEventListener(type, (event) => {
      page.copiedHere = normalized(selectedText(event.target));
    });
  }
  document.addEventListener("paste", (event) => {
    const pasted = normalized((event.clipboardData && event.clipboardData.getData("text")) || "");
    if (pasted && pasted !== page.copiedHere) violation("PASTE");
  });
}
