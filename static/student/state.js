// The student's view of their attempt: the server's state (from state_sync_response or the page)
// with the events still waiting in the outbox applied on top, so nothing pending is overwritten.
// Highlight positions are the server's: code-point offsets in the passage text.

export function emptyState() {
  return {
    attemptId: null,
    status: null,
    score: null,
    band: null,
    answers: new Map(), // question id (string) → answer
    flags: new Set(), // question ids (strings)
    highlights: [], // {key, id, eventId, passageId, text, start, end, pending, note}
    position: { passage_index: 0, question_index: 0 },
  };
}

export function stateFromAttempt(attempt) {
  const state = emptyState();
  if (!attempt) return state;
  state.attemptId = attempt.id;
  state.status = attempt.status;
  state.score = attempt.score;
  state.band = attempt.band;
  for (const answer of attempt.answers || []) {
    if (answer.answer !== "") state.answers.set(String(answer.question_id), answer.answer);
  }
  for (const id of attempt.flagged_question_ids || []) state.flags.add(String(id));
  for (const h of attempt.highlights || []) {
    state.highlights.push({
      key: `h:${h.id}`,
      id: h.id,
      eventId: null,
      passageId: String(h.passage_id),
      text: h.text,
      start: h.position_start,
      end: h.position_end,
      pending: false,
      note: h.note ?? null,
    });
  }
  state.position = {
    passage_index: attempt.current_passage_index || 0,
    question_index: attempt.current_question_index || 0,
  };
  return state;
}

/** Apply one not-yet-acknowledged outbox entry to the state. */
export function applyPending(state, entry) {
  const data = entry.data || {};
  switch (entry.type) {
    case "answer_submitted":
      if (typeof data.answer === "string" && data.answer.trim() !== "") {
        state.answers.set(String(data.question_id), data.answer);
      } else {
        state.answers.delete(String(data.question_id));
      }
      break;
    case "question_flagged":
      if (data.flagged) state.flags.add(String(data.question_id));
      else state.flags.delete(String(data.question_id));
      break;
    case "text_highlighted":
      if (!state.highlights.some((h) => h.eventId === entry.event_id)) {
        state.highlights.push({
          key: `e:${entry.event_id}`,
          id: null,
          eventId: entry.event_id,
          passageId: String(data.passage_id),
          text: data.text,
          start: data.position_start,
          end: data.position_end,
          pending: true,
          note: null,
        });
      }
      break;
    case "highlight_removed":
      state.highlights = state.highlights.filter(
        (h) =>
          !(
            (data.highlight_id != null && h.id != null && String(h.id) === String(data.highlight_id)) ||
            (data.ref && h.eventId === data.ref)
          ),
      );
      break;
    case "highlight_noted":
      for (const h of state.highlights) {
        const named = data.highlight_id != null && h.id != null && String(h.id) === String(data.highlight_id);
        if (named || (data.ref && h.eventId === data.ref)) h.note = data.note ?? null;
      }
      break;
    case "progress_update":
      state.position = { passage_index: data.passage_index, question_index: data.question_index };
      break;
    default:
      break;
  }
  return state;
}

/** Server state + pending local events, in the order they were made. */
export function mergeState(attempt, pendingEntries) {
  const state = stateFromAttempt(attempt);
  for (const entry of pendingEntries) applyPending(state, entry);
  return state;
}
