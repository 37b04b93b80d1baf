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

// The forms with times (a session's start, a practice's window): typed in local time, sent with the browser's offset.
for (const form of document.querySelectorAll("form[data-local-times]")) {
  const inputs = [...form.querySelectorAll('input[type="datetime-local"]')];
  const offset = form.querySelector('input[name="tz_offset"]');
  if (!inputs.length || !offset) continue;
  // The server rendered its suggestions in UTC; show them in local time.
  if (form.hasAttribute("data-initial-utc")) {
    for (const input of inputs.filter((each) => each.value)) {
      const utc = new Date(`${input.value}:00Z`);
      if (!Number.isNaN(utc.getTime())) input.value = localValue(utc);
    }
  }
  for (const label of form.querySelectorAll("[data-tz-label]")) label.textContent = zoneLabel(new Date());
  form.addEventListener("submit", () => {
    const typed = inputs.find((input) => input.value);
    const chosen = typed ? new Date(typed.value) : new Date();
    offset.value = String(chosen.getTimezoneOffset());
  });
}

for (const confirmForm of document.querySelectorAll("form[data-confirm]")) {
  confirmForm.addEventListener("submit", (event) => {
    if (!window.confirm(confirmForm.dataset.confirm)) event.preventDefault();
  });
}

localizeTimes();
