// An attempt's replay as data: the student's paper at any moment of the session, rebuilt from the attempt's
// logged events (monitoring.history, in the timeline page's config): the answers given so far, the highlights
// standing, the flags, the question they were on, whether they were connected, away from the page or done.
// Pure: no DOM and no network.

const DEPARTURE_TYPES = new Set(["TAB_SWITCH", "WINDOW_BLUR", "FULLSCREEN_EXIT"]);

/** {start, end, steps: [{at (ms), type, group, words (the timeline's line), ...fields}], questions: [{id, number}]}. */
export function createReplay({ start, end, steps = [], questions = [], passages = [] }) {
  const startMs = Date.parse(start);
  return {
    startMs,
    endMs: Math.max(Date.parse(end), startMs),
    steps: [...steps].sort((a, b) => a.at - b.at),
    questions,
    passages,
    numberOf: new Map(questions.map((q) => [String(q.id), q.number])),
  };
}

/** How many steps had happened by this moment (a step at the moment itself counts). */
export function stepsBy(replay, atMs) {
  let low = 0;
  let high = replay.steps.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (replay.steps[middle].at <= atMs) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The paper at this moment: answers (question id → answer, cleared ones gone), flagged question ids, highlights
 * standing [{id, passage_id, text, note}] in the order made, the current {passage_index, question_index} (an
 * answer moves it to its question), connected (null before any connection was logged), away, ended, and the last
 * step so far.
 */
export function paperAt(replay, atMs) {
  const count = stepsBy(replay, atMs);
  const answers = new Map();
  const flagged = new Set();
  const highlights = new Map();
  const state = { current: null, connected: null, away: false, ended: false };
  for (const step of replay.steps.slice(0, count)) applyStep(replay, step, { answers, flagged, highlights, state });
  return {
    answers: Object.fromEntries(answers),
    flagged: [...flagged],
    highlights: [...highlights.values()],
    ...state,
    last: count ? replay.steps[count - 1] : null,
    count,
  };
}

function applyStep(replay, step, { answers, flagged, highlights, state }) {
  const id = String(step.question_id);
  switch (step.type) {
    case "answer_submitted": {
      if (String(step.answer ?? "").trim()) answers.set(id, step.answer);
      else answers.delete(id);
      const number = replay.numberOf.get(id);
      if (number !== undefined) state.current = { ...state.current, question_index: number - 1 };
      break;
    }
    case "question_flagged":
      if (step.flagged) flagged.add(id);
      else flagged.delete(id);
      break;
    case "text_highlighted":
      highlights.set(String(step.highlight_id), {
        id: step.highlight_id, passage_id: step.passage_id, text: step.text, note: null,
      }); // prettier-ignore
      break;
    case "highlight_noted": {
      const highlight = highlights.get(String(step.highlight_id));
      if (highlight) highlight.note = step.note || null;
      break;
    }
    case "highlight_removed":
      highlights.delete(String(step.highlight_id));
      break;
    case "progress_update":
      state.current = { passage_index: step.passage_index, question_index: step.question_index };
      break;
    case "connected":
      state.connected = true;
      break;
    case "disconnected":
      state.connected = false;
      break;
    case "tab_violation":
      if (step.returned) state.away = false;
      else if (DEPARTURE_TYPES.has(step.violation_type || "TAB_SWITCH")) state.away = true;
      break;
    case "attempt_submitted":
    case "attempt_abandoned":
      state.ended = true;
      state.away = false;
      break;
    case "attempt_reopened":
      state.ended = false;
      break;
    default:
  }
}

/** The moment of the next step after `atMs` (or the end), and of the one before it (or the start). */
export function nextStepMs(replay, atMs) {
  const step = replay.steps.find((candidate) => candidate.at > atMs);
  return step ? step.at : replay.endMs;
}

export function previousStepMs(replay, atMs) {
  const steps = replay.steps.filter((candidate) => candidate.at < atMs);
  return steps.length ? steps.at(-1).at : replay.startMs;
}

/** "+mm:ss" from the start (minutes grow past 59, as the timeline counts them). */
export function offsetText(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `+${String(Math.floor(whole / 60)).padStart(2, "0")}:${String(whole % 60).padStart(2, "0")}`;
}
