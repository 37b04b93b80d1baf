// Words as the Writing page counts them: runs of letters, digits, apostrophes and hyphens. The server counts with
// the same pattern (exams.marking.ESSAY_WORD), so the student, the teacher's monitor and the results agree.

export const WORD_PATTERN = /[\p{L}\p{N}'’-]+/gu;

export function countWords(text) {
  if (!text) return 0;
  return (String(text).match(WORD_PATTERN) || []).length;
}

/** "213 words", "1 word". */
export function wordsText(count) {
  return `${count} ${count === 1 ? "word" : "words"}`;
}
