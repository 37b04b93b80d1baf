// How both pages write times, bands and counts for people to read.

/**
 * Time left as h:mm:ss, or m:ss under an hour; `padMinutes` writes mm:ss (the teacher's board).
 * Rounded up, so "0:00" means the time is really up.
 */
export function formatRemaining(ms, { padMinutes = false } = {}) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const mm = String(minutes).padStart(hours || padMinutes ? 2 : 1, "0");
  const ss = String(seconds).padStart(2, "0");
  return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** An IELTS band with one decimal ("6.5"), or "–" when it is not a number. */
export function formatBand(band) {
  const value = Number(band);
  return Number.isFinite(value) ? value.toFixed(1) : "–";
}

/** "1 change", "3 changes". */
export function plural(count, singular, pluralForm = `${singular}s`) {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** At most `length` characters, the last one an ellipsis when the text was cut. */
export function truncate(text, length) {
  const value = String(text ?? "");
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}

/** A wall-clock time of day, 24-hour, with seconds ("14:03:27"). */
export function formatClockTime(date) {
  return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
}

/** Show the <time> elements under `root` in the reader's local time (the server writes UTC); the UTC text stays
 * as the tooltip. */
export function localizeTimes(root = document) {
  for (const time of root.querySelectorAll("time[datetime]")) {
    const date = new Date(time.getAttribute("datetime"));
    if (Number.isNaN(date.getTime())) continue;
    time.title = time.textContent.trim();
    time.textContent = date.toLocaleString(undefined, {
      weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
    });
  }
}
