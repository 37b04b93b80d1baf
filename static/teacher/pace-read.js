// What a teacher reads on a pace lane: the warning (stuck, behind pace, on pace) with why on hover, and the
// projected band said as a projection. Pure: no DOM and no network.

import { formatBand } from "../common/format.js";
import { durationText } from "./board-read.js";

/** Seconds on the server's clock as the paper's seconds (a test's time scale shrinks a minute). */
function paperSeconds(lanes, seconds) {
  return (seconds * 60) / (lanes.minuteSeconds || 60);
}

/** {kind: stuck|behind|on-pace, text, title} for a lane's state (pace.laneState), or null without one. */
export function paceSummary(lanes, state) {
  if (!state) return null;
  const duration = (seconds) => durationText(paperSeconds(lanes, seconds));
  const question = `Q${state.index + 1}`;
  const behind = state.behind ? `behind pace by ${duration(state.lagSeconds)}` : "";
  if (state.stuck) {
    const why =
      state.stuckBy === "median"
        ? `On ${question} for ${duration(state.dwellSeconds)}: over three times the class's median of ${duration(state.medianSeconds)} for it`
        : `On ${question} for ${duration(state.dwellSeconds)}, no answer for ${duration(state.quietSeconds)}`;
    return {
      kind: "stuck",
      text: `Stuck on ${question}${behind ? ` · ${behind}` : ""}`,
      title: behind ? `${why}; ${behind} against the guide` : why,
    };
  }
  if (state.behind) {
    return {
      kind: "behind",
      text: `Behind pace by ${duration(state.lagSeconds)}`,
      title: `At ${question}: the guide was done with it ${duration(state.lagSeconds)} ago`,
    };
  }
  const ahead = state.lagSeconds !== null && state.lagSeconds < 0;
  return {
    kind: "on-pace",
    text: `On pace · ${question}`,
    title: ahead
      ? `At ${question}, ${duration(-state.lagSeconds)} ahead of the guide`
      : `At ${question}, within 5 minutes of the guide`,
  };
}

/** {text, title} of a projected band (projection.projectBand), or null before the first answer. */
export function bandSummary(projection, questionCount) {
  if (!projection) return null;
  const { answered, correct, projectedScore, band } = projection;
  return {
    text: `Projected band ${formatBand(band)}`,
    title:
      `A projection, for staff only: ${correct} of the ${answered} answered so far are right; ` +
      `if the rest go as well, ${projectedScore} of ${questionCount}, band ${formatBand(band)}.`,
  };
}
