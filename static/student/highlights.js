// Highlights in a passage: offsets from a selection, and <mark>s drawn over the exact passage text.
// The passage element holds only the passage's text (split into text nodes, <mark>s and paragraph letters), so its
// textContent always equals the text and offsets are counted over its text nodes. The server counts
// code points (Python), the DOM counts UTF-16 units: convert at the edges.

export function utf16ToCodePoints(text, index) {
  return [...text.slice(0, index)].length;
}

export function codePointsToUtf16(text, count) {
  let index = 0;
  for (let n = 0; n < count && index < text.length; n += 1) {
    index += text.codePointAt(index) > 0xffff ? 2 : 1;
  }
  return index;
}

/** UTF-16 offset within `el` of a DOM boundary point; points outside `el` clamp to its start or end. */
function offsetWithin(el, node, offset) {
  if (node === el || el.contains(node)) {
    const before = document.createRange();
    before.setStart(el, 0);
    before.setEnd(node, offset);
    return before.toString().length;
  }
  // eslint-disable-next-line no-bitwise
  return el.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_PRECEDING ? 0 : el.textContent.length;
}

/** The selected part of the passage, trimmed of surrounding white space: {start, end} in UTF-16 units, or null. */
export function selectionOffsets(el, range) {
  if (!range || range.collapsed || !range.intersectsNode(el)) return null;
  const text = el.textContent;
  let start = offsetWithin(el, range.startContainer, range.startOffset);
  let end = offsetWithin(el, range.endContainer, range.endOffset);
  while (start < end && /\s/.test(text[start])) start += 1;
  while (end > start && /\s/.test(text[end - 1])) end -= 1;
  return start < end ? { start, end } : null;
}

// A paragraph that may open with its letter ("A Few objects…"); the letters of a passage run A, B, C…
const PARAGRAPH_START = /(^|\n)([A-Z])([ \t]+)(?=\S)/g;

/** The paragraph letters a passage shows, each with the space after it: [{start, end}] in UTF-16 units. */
export function paragraphLetters(text) {
  const letters = [];
  for (const match of text.matchAll(PARAGRAPH_START)) {
    if (match[2] !== String.fromCharCode(65 + letters.length)) continue; // "I think…" is no paragraph I
    const start = match.index + match[1].length;
    letters.push({ start, end: match.index + match[0].length });
  }
  return letters.length >= 2 ? letters : []; // one "A bottle…" does not make a lettered passage
}

/**
 * Redraw the passage: its text, with a <mark> over every highlighted stretch (the latest highlight on top) and
 * each paragraph letter in a <span> of its own.
 */
export function renderPassage(el, text, highlights) {
  const spans = highlights
    .map((h) => ({ ...h, s: codePointsToUtf16(text, h.start), e: codePointsToUtf16(text, h.end) }))
    .filter((h) => h.s < h.e && h.e <= text.length);
  const letters = paragraphLetters(text);
  const points = new Set([0, text.length]);
  for (const { s, e } of spans) points.add(s).add(e);
  for (const { start, end } of letters) points.add(start).add(end);
  const sorted = [...points].sort((a, b) => a - b);
  const fragment = document.createDocumentFragment();
  for (let i = 0; i < sorted.length - 1; i += 1) {
    const [a, b] = [sorted[i], sorted[i + 1]];
    let segment = document.createTextNode(text.slice(a, b));
    if (letters.some((l) => l.start <= a && l.end >= b)) {
      const letter = document.createElement("span");
      letter.className = "para-letter";
      letter.append(segment);
      segment = letter;
    }
    const covering = spans.filter((h) => h.s <= a && h.e >= b);
    if (!covering.length) {
      fragment.append(segment);
      continue;
    }
    const top = covering[covering.length - 1];
    const mark = document.createElement("mark");
    mark.append(segment);
    mark.dataset.key = top.key;
    mark.tabIndex = 0;
    mark.setAttribute("role", "button");
    if (top.pending) mark.classList.add("pending");
    if (top.note) {
      mark.classList.add("noted");
      mark.dataset.note = top.note;
      mark.title = `Note: ${top.note}\nClick or press Enter to remove the highlight; right-click or press N to edit the note.`;
    } else {
      mark.title = "Highlighted. Click or tap (or press Enter) to remove the highlight; right-click or press N to add a note.";
    }
    fragment.append(mark);
  }
  el.replaceChildren(fragment);
  el.classList.toggle("lettered", letters.length > 0);
}
