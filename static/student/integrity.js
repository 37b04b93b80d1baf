// What the teacher is told about during the test: leaving the test page (another tab, another window) and
// coming back, and pasting text that was not copied from this page. Each is queued as a tab_violation.
//
// A departure counts only when it lasts: the page must still be hidden or unfocused DEPARTURE_CONFIRM_MS after
// it went, so a reload, the Back button, a dialog or a prompt that takes the focus for a moment, or closing a
// second tab of the test is no violation. Leaving the tab blurs the window too: one departure, sent once, and
// its return with the time away (measured here, so it holds when the return is sent late from the outbox).

import { queue } from "./connection.js";
import { config, page } from "./context.js";
import { setBanner } from "./screens.js";

const DEPARTURE_CONFIRM_MS = 2000;
const BANNER_MS = 6000;

const tabId = Math.random().toString(36).slice(2);
// Other tabs of this test for this student, by tab id: whether each has the student's eyes now.
const siblings = new Map();
const channel =
  typeof BroadcastChannel === "function"
    ? new BroadcastChannel(`ielts.test-tabs.${config.scope}.user-${config.user_id}`)
    : null;

let unloading = false; // pagehide: the page is going (reload, Back, closing the tab), not the student
let pendingDeparture = null; // the timer of a departure not confirmed yet
let away = null; // {type, sinceMs} of the departure sent, until the student is back

const hereInThisTab = () => document.visibilityState === "visible" && document.hasFocus();
const hereInAnotherTab = () => [...siblings.values()].some(Boolean);
const ownDialogOpen = () => document.querySelector("dialog[open]") !== null;

function announce() {
  channel?.postMessage({ tab: tabId, here: !unloading && hereInThisTab() });
}

function maybeLeaving() {
  announce();
  if (unloading || pendingDeparture || away || page.phase !== "test" || page.paused) return;
  const sinceMs = Date.now();
  pendingDeparture = setTimeout(() => confirmDeparture(sinceMs), DEPARTURE_CONFIRM_MS);
}

function confirmDeparture(sinceMs) {
  pendingDeparture = null;
  if (unloading || page.phase !== "test" || page.paused || hereInThisTab() || hereInAnotherTab()) return;
  const hidden = document.visibilityState === "hidden";
  if (!hidden && ownDialogOpen()) return; // a dialog of the page holds the focus, not another window
  away = { type: hidden ? "TAB_SWITCH" : "WINDOW_BLUR", sinceMs };
  queue("tab_violation", { violation_type: away.type });
}

function maybeBack() {
  announce();
  if (!hereInThisTab() && !hereInAnotherTab()) return;
  clearTimeout(pendingDeparture);
  pendingDeparture = null;
  if (!away) return;
  const { type, sinceMs } = away;
  away = null;
  // Sent while paused too: the outbox holds it until the resume. After the end there is nothing to come back to.
  if (page.phase !== "test") return;
  const awaySeconds = Math.round((Date.now() - sinceMs) / 1000);
  queue("tab_violation", { violation_type: type, returned: true, away_seconds: awaySeconds });
  if (hereInThisTab()) {
    setBanner("left-page", "You left the test page. Your teacher has been told.", "info");
    setTimeout(() => page.banner.key === "left-page" && setBanner("", ""), BANNER_MS);
  }
}

function watchOtherTabs() {
  if (!channel) return;
  channel.addEventListener("message", ({ data }) => {
    if (!data || typeof data.tab !== "string") return;
    if (data.hello) announce();
    siblings.set(data.tab, Boolean(data.here));
    if (data.gone) siblings.delete(data.tab);
    if (data.here) maybeBack();
  });
  channel.postMessage({ tab: tabId, here: hereInThisTab(), hello: true });
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
  document.addEventListener("visibilitychange", () =>
    document.visibilityState === "hidden" ? maybeLeaving() : maybeBack(),
  );
  window.addEventListener("blur", maybeLeaving);
  window.addEventListener("focus", maybeBack);
  window.addEventListener("pagehide", () => {
    unloading = true;
    clearTimeout(pendingDeparture);
    pendingDeparture = null;
    channel?.postMessage({ tab: tabId, here: false, gone: true });
  });
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return; // back from the back/forward cache: the same page, awake again
    unloading = false;
    announce();
  });
  watchOtherTabs();
  for (const type of ["copy", "cut"]) {
    document.addEventListener(type, (event) => {
      page.copiedHere = normalized(selectedText(event.target));
    });
  }
  document.addEventListener("paste", (event) => {
    const pasted = normalized((event.clipboardData && event.clipboardData.getData("text")) || "");
    if (pasted && pasted !== page.copiedHere && page.phase === "test" && !page.paused) {
      queue("tab_violation", { violation_type: "PASTE" });
    }
  });
}
