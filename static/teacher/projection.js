// A working student's projected band, for their teachers only: their answers so far marked in the page as
// exams/marking.py marks them (the keys come normalised by the server, in the staff-only page's config), and the
// band the paper's table gives if the questions still to come go as well as those answered. A projection, said
// as one wherever it is shown. Pure: no DOM and no network.

/** marking.normalise: surrounding and repeated white space folded, case folded ("ß" as "ss", as Python does). */
export function normaliseAnswer(answer) {
  return String(answer ?? "")
    .split(/\s+/u)
    .filter(Boolean)
    .join(" ")
    .toLowerCase()
    .replaceAll("ß", "ss");
}

/** marking.is_correct against a key {answers: [normalised], word_limit}. */
export function isCorrectAnswer(answer, questionKey) {
  const given = normaliseAnswer(answer);
  if (!given || !questionKey || !Array.isArray(questionKey.answers)) return false;
  const limit = questionKey.word_limit;
  if (limit !== null && limit !== undefined && given.split(" ").length > limit) return false;
  return questionKey.answers.includes(given);
}

/** Python's round(): halves go to the even neighbour (marking.scaled_to_40 uses it). */
export function roundHalfEven(value) {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (Math.abs(fraction - 0.5) < 1e-9) return floor % 2 === 0 ? floor : floor + 1;
  return Math.round(value);
}

/** marking.band_for: the score scaled to 40, read from the table's rows [[lowest raw score, band]]. */
export function bandFor(score, questionCount, table) {
  const raw = questionCount > 0 ? roundHalfEven((score * 40) / questionCount) : 0;
  const rows = [...table].sort((a, b) => b[0] - a[0]);
  for (const [lowest, band] of rows) {
    if (raw >= lowest) return band;
  }
  return 0;
}

/**
 * answers: question id → the answer (a Map); keys: question id → key; questionCount: the questions the session
 * marks. {answered, correct, projectedScore, band}, or null before the first keyed answer.
 */
export function projectBand(answers, keys, questionCount, table) {
  let answered = 0;
  let correct = 0;
  for (const [questionId, answer] of answers) {
    const questionKey = keys[questionId];
    if (!questionKey || !normaliseAnswer(answer)) continue;
    answered += 1;
    if (isCorrectAnswer(answer, questionKey)) correct += 1;
  }
  if (!answered || !questionCount) return null;
  const projectedScore = roundHalfEven((correct * questionCount) / answered);
  return { answered, correct, projectedScore, band: bandFor(projectedScore, questionCount, table) };
}
