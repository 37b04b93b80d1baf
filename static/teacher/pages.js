// Small touches on the teacher's server-rendered pages: local times, a time zone for new sessions, confirmations.

import { localizeTimes } from "../common/format.js";

const pad = (n) => String(n).padStart(2, "0");
const localValue = (date) =>
  `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;

function zoneLabel(date) {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? "−" : "+";
  const abs = Math.abs(minutes);
  return `(your time, UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)})`;
}

const form = document.getElementById("session-form");
if (form) {
  const input = form.querySelector('input[type="datetime-local"]');
  const offset = form.querySelector('input[name="tz_offset"]');
  const label = form.querySelector("[data-tz-label]");
  if (input && offset) {
    // The server rendered its suggestion in UTC; show it in local time.
    if (form.hasAttribute("data-initial-utc") && input.value) {
      const utc = new Date(`${input.value}:00Z`);
      if (!Number.isNaN(utc.getTime())) input.value = localValue(utc);
    }
    if (label) label.textContent = zoneLabel(new Date());
    form.addEventListener("submit", () => {
      const chosen = input.value ? new Date(input.value) : new Date();
      offset.value = String(chosen.getTimezoneOffset());
    });
  }
}

for (const confirmForm of document.querySelectorAll("form[data-confirm]")) {
  confirmForm.addEventListener("submit", (event) => {
    if (!window.confirm(confirmForm.dataset.confirm)) event.preventDefault();
  });
}

localizeTimes();
