// A Listening session's monitor says which part of the recording is playing, worked out here from the
// page's config (when the first part started, moved later by the pauses that have ended, and each part's
// length) and the session's events: `session_started` carries the start, `session_resumed` the pause to add.
// No server broadcast is needed for it.

/** Pure: what the monitor shows for the recording: "Part 2 of 4 playing", "Review time", "" before the start. */
export function listeningPartText({ startedAtMs, partSeconds, status, pausedAtMs, nowMs }) {
  if (startedAtMs === null || Number.isNaN(startedAtMs)) return "";
  if (status !== "IN_PROGRESS" && status !== "PAUSED") return "";
  const at = status === "PAUSED" && pausedAtMs ? pausedAtMs : nowMs;
  let left = (at - startedAtMs) / 1000;
  if (left < 0) return "";
  const paused = status === "PAUSED" ? " (paused)" : "";
  for (let index = 0; index < partSeconds.length; index += 1) {
    if (left < partSeconds[index]) return `Part ${index + 1} of ${partSeconds.length} playing${paused}`;
    left -= partSeconds[index];
  }
  return `Review time${paused}`;
}

export function createListeningPart({ element, listening, board }) {
  if (!element || !listening) return { receive() {} };
  let startedAtMs = listening.audioStartedAt ? Date.parse(listening.audioStartedAt) : null;
  const partSeconds = listening.partSeconds.map((s) => Number(s) || 0);

  function render() {
    const text = listeningPartText({
      startedAtMs,
      partSeconds,
      status: board.session.status,
      pausedAtMs: board.session.paused_at ? Date.parse(board.session.paused_at) : null,
      nowMs: Date.now() + board.clockOffsetMs,
    });
    if (element.textContent !== text) element.textContent = text;
    element.hidden = !text;
  }

  setInterval(render, 500);
  render();
  return {
    receive(message) {
      if (message.type === "session_started" && message.audio_started_at) {
        startedAtMs = Date.parse(message.audio_started_at);
      } else if (message.type === "session_resumed" && startedAtMs !== null) {
        startedAtMs += (Number(message.paused_seconds) || 0) * 1000;
      }
      render();
    },
  };
}
