// A Listening paper's timeline, pure: where a moment falls among parts that play one after the other.

/** Where `position` seconds after the first part started falls among parts of `lengths` seconds each: the part's
 * index and the seconds into it; index null before the start (offset < 0) or after the last part (review). */
export function partAt(lengths, position) {
  if (position < 0) return { index: null, offset: position, review: false };
  let left = position;
  for (let index = 0; index < lengths.length; index += 1) {
    if (left < lengths[index]) return { index, offset: left, review: false };
    left -= lengths[index];
  }
  return { index: null, offset: left, review: true };
}
