// The teacher's live controls as the student sees them: the pause screen (the paper hidden, as the real
// test's Hide screen, and the clock stopped at the time that was left), the short notice of time given or of
// a reopened attempt, and the way back into the test from the finished screen or from "time is up".

import { formatRemaining } from "../common/format.js";
import { commitTextInputs } from "./answers.js";
import { flush } from "./connection.js";
import { $, config, page, questionEl, TEST_PHASES } from "./context.js";
import { extensionConcerns, extraTimeText, reopenText } from "./notices.js";
import { countdown, unlockInputs } from "./phases.js";
import { announce, refreshScreen, updateConnectionUi } from "./screens.js";

const NOTICE_MS = 12000;
const TIME_GIVEN_MIN_MS = 1000;
const STALE_PAUSE_MS = 5000; // back from "time is up" only for time really given, not a clock's rounding
const PAUSE_KEY = `ielts.pause.v1.${config.scope}`;

// ------------------------------------------------------------------ pause and resume

/** The time left when the session was paused at `pausedAtIso` (the end has not moved since), if known. */
export function leftAtPause(pausedAtIso) {
  const at = Date.parse(pausedAtIso);
  return countdown.endsAt !== null && !Number.isNaN(at) ? countdown.endsAt - at : undefined;
}

/**
 * The session is paused (session_paused, a state sync, or the page as served): commit what was typed, hide
 * the paper behind the pause screen and stop the clock at `remainingMs` (the server's time left; when it is
 * not given, the clock stops where it is). Says so once, and puts the keyboard focus on the pause screen.
 */
export function pauseTest({ reason, pausedAt, remainingMs } = {}) {
  const first = !page.paused;
  if (first) {
    commitTextInputs(); // queued now, sent after the resume
    const dialog = $("#submit-dialog");
    if (dialog && dialog.open) dialog.close();
    page.focusBeforePause = document.activeElement;
    page.paused = true;
  }
  if (pausedAt !== undefined) {
    const known = Date.parse(page.pause.pausedAt || "");
    // A reason remembered from another pause (this tab was closed through a resume and a new pause) is not this one's.
    if (!Number.isNaN(known) && Math.abs(known - Date.parse(pausedAt)) > STALE_PAUSE_MS) page.pause.reason = null;
    page.pause.pausedAt = pausedAt;
  }
  if (reason !== undefined) page.pause.reason = reason || null;
  remember(page.pause);
  if (remainingMs !== undefined) countdown.freeze(remainingMs);
  else if (!countdown.frozen) countdown.freeze(countdown.remainingMs());
  renderPauseScreen();
  refreshScreen();
  updateConnectionUi();
  if (TEST_PHASES.has(page.phase) && !page.pauseAnnounced) {
    page.pauseAnnounced = true;
    const why = page.pause.reason ? ` Reason: ${page.pause.reason}.` : "";
    announce(`Your teacher has paused the test. Your time has stopped.${why}`);
    $("#paused-title").focus();
  }
}

/** The session runs again: the paper back, the clock on (moved later by the pause when the server said how
 * long; a state sync with the attempt's new end follows), and the events held during the pause sent. */
export function resumeTest({ pausedSeconds } = {}) {
  if (!page.paused) return;
  page.paused = false;
  page.pauseAnnounced = false;
  page.pause = { reason: null, pausedAt: null };
  remember(null);
  countdown.unfreeze((Number(pausedSeconds) || 0) * 1000);
  refreshScreen();
  updateConnectionUi();
  if (TEST_PHASES.has(page.phase)) {
    const left = countdown.known ? ` ${formatRemaining(countdown.remainingMs())} left.` : "";
    announce(`Your teacher resumed the test.${left}`);
    restoreFocus();
  }
  flush();
}

/** A reload during a pause: the reason and the moment of the pause this tab heard of, if any. */
export function rememberedPause() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(PAUSE_KEY) || "null");
    return stored && typeof stored === "object" ? stored : null;
  } catch {
    return null;
  }
}

function remember(pause) {
  try {
    if (pause) sessionStorage.setItem(PAUSE_KEY, JSON.stringify(pause));
    else sessionStorage.removeItem(PAUSE_KEY);
  } catch {
    /* storage disabled: a reload shows the pause without its reason */
  }
}

export function renderPauseScreen() {
  const reason = $("#paused-reason");
  reason.hidden = !page.pause.reason;
  $("#paused-reason-text").textContent = page.pause.reason || "";
  const ms = countdown.remainingMs();
  $("#paused-time").textContent = ms === null ? "" : `You have ${formatRemaining(ms)} left.`;
}

function restoreFocus() {
  const before = page.focusBeforePause;
  page.focusBeforePause = null;
  if (before && before !== document.body && document.contains(before) && before.offsetParent !== null) {
    before.focus({ preventScroll: true });
    return;
  }
  const question = questionEl(page.current.questionId);
  const target = question && question.querySelector("input:checked, input");
  if (target && !target.disabled) target.focus({ preventScroll: true });
}

// ------------------------------------------------------------------ time given, an attempt reopened

/** `time_extended`, for this student or the whole class: the clock moves at once and a notice says so. */
export function timeExtended(message) {
  if (!extensionConcerns(message, config.user_id)) return;
  if (!TEST_PHASES.has(page.phase) && page.phase !== "connecting") return; // finished: the class's time is not ours
  const ownEnd = message.student_id !== null && message.student_id !== undefined && message.ends_at;
  if (ownEnd && !countdown.frozen) countdown.sync(message.ends_at, message.server_now);
  else countdown.shift((Number(message.seconds) || 0) * 1000); // the state sync that follows has the exact end
  if (page.paused) renderPauseScreen();
  showNotice(extraTimeText(message));
}

/** `attempt_reopened` for this student: a notice now; the state sync that follows takes the page back in. */
export function attemptReopened(message) {
  if (String(message.student_id) !== String(config.user_id)) return;
  countdown.sync(message.ends_at, message.server_now);
  showNotice(reopenText(message));
}

/** From the finished screen back to where enterTest() starts: the attempt is open again. */
export function leaveFinished() {
  if (page.phase !== "finished") return;
  page.phase = "connecting";
  page.refusedAsLate = 0;
  $("#finished-result").hidden = true;
  $("#finished-lost").hidden = true;
  const notice = $("#timeup-notice");
  if (notice) notice.hidden = true;
}

/** Time is up on this page, but the server's clock now has time left (time given): the test goes on. */
export function backFromTimeUp() {
  if (page.phase !== "timeup" || !(countdown.remainingMs() > TIME_GIVEN_MIN_MS)) return;
  page.phase = "test";
  const notice = $("#timeup-notice");
  if (notice) notice.hidden = true;
  unlockInputs();
  updateConnectionUi();
}

// ------------------------------------------------------------------ the notice

let noticeTimer = null;

/** A short notice under the header, read out politely; it goes by itself or with its button. */
export function showNotice(text) {
  const region = $("#notice-region");
  clearTimeout(noticeTimer);
  const notice = document.createElement("div");
  notice.className = "notice";
  notice.id = "notice";
  const span = document.createElement("span");
  span.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "notice-close";
  close.textContent = "OK";
  close.setAttribute("aria-label", "Close this notice");
  close.addEventListener("click", () => hideNotice(true));
  notice.append(span, close);
  region.replaceChildren(notice);
  noticeTimer = setTimeout(() => hideNotice(false), NOTICE_MS);
}

function hideNotice(byHand) {
  clearTimeout(noticeTimer);
  const region = $("#notice-region");
  const hadFocus = region.contains(document.activeElement);
  region.replaceChildren();
  if (!byHand && !hadFocus) return;
  if (page.paused && TEST_PHASES.has(page.phase)) $("#paused-title").focus();
  else restoreFocus();
}
