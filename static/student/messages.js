// The teacher's messages: each one the student has not dismissed yet shows as a banner, and all of them stay
// listed in the "Messages from your teacher" panel (opened from the header). The history comes from the REST
// API when the page opens and after every reconnect, so a message sent while this page was offline is not
// lost; one that arrives both ways shows once. Dismissed messages are remembered on this device.

import { api } from "../common/api.js";
import { formatClockTime } from "../common/format.js";
import { $, config } from "./context.js";
import { MessageLog } from "./notices.js";

const log = new MessageLog(config.user_id);
const messagesApi = config.messages_api; // none on a practice: no teacher writes to it
const SEEN_KEY = `ielts.messages-seen.v1.${config.scope}.user-${config.user_id}`;
const seen = new Set(readSeen());

/** A `teacher_message` from the socket. */
export function receiveMessage(message) {
  const added = log.add(message);
  if (!added) return;
  renderList();
  if (!seen.has(String(added.id))) showBanner(added);
}

/** The history: on load, and after a reconnect (what the socket may have missed). */
export async function loadMessages() {
  if (!messagesApi) return;
  let list;
  try {
    list = await api(messagesApi);
  } catch {
    return; // offline, or not allowed any more: the next connection tries again
  }
  if (!Array.isArray(list)) return;
  const added = list.map((raw) => log.add(raw)).filter(Boolean);
  if (!added.length) return;
  renderList();
  for (const message of added) if (!seen.has(String(message.id))) showBanner(message);
}

export function bindMessages() {
  const toggle = $("#messages-toggle");
  const panel = $("#messages-panel");
  toggle.addEventListener("click", () => (panel.hidden ? openPanel() : closePanel()));
  $("#messages-close").addEventListener("click", closePanel);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closePanel();
    }
  });
}

function openPanel() {
  $("#messages-panel").hidden = false;
  $("#messages-toggle").setAttribute("aria-expanded", "true");
  $("#messages-title").focus();
}

function closePanel() {
  const panel = $("#messages-panel");
  if (panel.hidden) return;
  const hadFocus = panel.contains(document.activeElement);
  panel.hidden = true;
  $("#messages-toggle").setAttribute("aria-expanded", "false");
  if (hadFocus) $("#messages-toggle").focus();
}

const sentTime = (message) => {
  const date = message.sentAt ? new Date(message.sentAt) : null;
  return date && !Number.isNaN(date.getTime()) ? formatClockTime(date) : "";
};

function renderList() {
  const messages = log.list();
  const toggle = $("#messages-toggle");
  toggle.hidden = messages.length === 0;
  $("#messages-count").textContent = String(messages.length);
  const items = messages.map((message) => {
    const item = document.createElement("li");
    item.className = "message-item";
    item.dataset.messageId = String(message.id);
    const meta = document.createElement("span");
    meta.className = "message-meta";
    meta.textContent = `${sentTime(message)} · ${message.studentId === null ? "To the class" : "To you"}`;
    const text = document.createElement("p");
    text.className = "message-text";
    text.textContent = message.text;
    item.append(meta, text);
    return item;
  });
  $("#messages-list").replaceChildren(...items);
}

function showBanner(message) {
  const region = $("#teacher-messages");
  if (region.querySelector(`[data-message-id="${CSS.escape(String(message.id))}"]`)) return;
  const banner = document.createElement("div");
  banner.className = "teacher-message";
  banner.dataset.messageId = String(message.id);
  const head = document.createElement("strong");
  head.textContent = `Message from your teacher${sentTime(message) ? ` (${sentTime(message)})` : ""}: `;
  const text = document.createElement("span");
  text.className = "teacher-message-text";
  text.textContent = message.text;
  const dismiss = document.createElement("button");
  dismiss.type = "button";
  dismiss.className = "teacher-message-dismiss";
  dismiss.textContent = "Dismiss";
  dismiss.setAttribute("aria-label", "Dismiss this message (it stays in Messages from your teacher)");
  dismiss.addEventListener("click", () => dismissBanner(banner, message));
  banner.append(head, text, dismiss);
  region.append(banner);
}

function dismissBanner(banner, message) {
  seen.add(String(message.id));
  writeSeen();
  const hadFocus = banner.contains(document.activeElement);
  const next = banner.nextElementSibling || banner.previousElementSibling;
  banner.remove();
  if (!hadFocus) return;
  const target = next ? next.querySelector("button") : $("#messages-toggle");
  if (target) target.focus();
}

function readSeen() {
  try {
    const stored = JSON.parse(localStorage.getItem(SEEN_KEY) || "[]");
    return Array.isArray(stored) ? stored.map(String) : [];
  } catch {
    return [];
  }
}

function writeSeen() {
  try {
    localStorage.setItem(SEEN_KEY, JSON.stringify([...seen]));
  } catch {
    /* storage full or disabled: a reload shows the message again */
  }
}
