/** A chunk as the holder sends it: COPY text lines (columns of RETURN_CHUNK_COLUMNS), whole lines only. */
export interface CutChunk {
  text: Buffer;
  rows: number;
  /** Change sequence of the last row included (of a cut chunk, in change order); null when no row was or it is not needed. */
  lastSeq: number | null;
  /** Whether rows of the range were left out (by the byte budget or the row limit): the range goes on after lastSeq. */
  cut: boolean;
}

const NEWLINE = 0x0a;
const TAB = 0x09;

/**
 * Keeps the whole lines of `copyText` that fit in `budgetBytes` (at least one line goes, whatever
 * its size). COPY text escapes newlines inside values, so every 0x0A ends a row.
 */
export function cutChunk(copyText: Buffer, budgetBytes: number): CutChunk {
  if (copyText.length === 0) return { text: copyText, rows: 0, lastSeq: null, cut: false };
  let end = copyText.length;
  let cut = false;
  if (end > budgetBytes) {
    cut = true;
    const lastFitting = copyText.lastIndexOf(NEWLINE, budgetBytes - 1);
    end = lastFitting >= 0 ? lastFitting + 1 : copyText.indexOf(NEWLINE) + 1;
  }
  const text = copyText.subarray(0, end);
  return { text, rows: countLines(text), lastSeq: seqOfLastLine(text), cut };
}

/**
 * A range as one chunk. A planned range fits one chunk as a rule, so it is read whole, in any
 * order (no sort). Only when it does not (rows larger than the plan's average, or a range that was
 * never planned) is it read again in change order, at most `maxRows`, and cut where the chunk is full.
 */
export async function readChunk(read: (ordered: boolean, limit: number) => Promise<Buffer>, budgetBytes: number, maxRows: number): Promise<CutChunk> {
  const whole = await read(false, maxRows + 1);
  const rows = countLines(whole);
  if (rows <= maxRows && whole.length <= budgetBytes) return { text: whole, rows, lastSeq: null, cut: false };
  const ordered = cutChunk(await read(true, maxRows), budgetBytes);
  return ordered.rows === maxRows && !ordered.cut ? { ...ordered, cut: true } : ordered;
}

function countLines(text: Buffer): number {
  let rows = 0;
  for (let at = text.indexOf(NEWLINE); at >= 0; at = text.indexOf(NEWLINE, at + 1)) rows++;
  return rows;
}

/** The third column (change_seq) of the last line. */
function seqOfLastLine(text: Buffer): number {
  const start = text.lastIndexOf(NEWLINE, text.length - 2) + 1;
  const afterKey = text.indexOf(TAB, start) + 1;
  const afterRegion = afterKey === 0 ? 0 : text.indexOf(TAB, afterKey) + 1;
  const seq = afterRegion === 0 ? null : digitsValue(text, afterRegion, text.indexOf(TAB, afterRegion));
  if (seq === null) throw new Error('a chunk line without a change sequence');
  return seq;
}

/** A verified chunk whose rows cannot be applied; `permanent` when retrying cannot help (rows outside the jurisdiction). */
export class ChunkRefused extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export interface ChunkExpectation {
  /** The chunk covers changes in (after, through]. */
  after: number;
  through: number;
  /** Row count its header gives. */
  rows: number;
  /** An exact region code, a prefix, or (a share grant's regions) any of several prefixes. */
  jurisdiction: { exact?: string; prefix?: string; anyOf?: string[] };
}

const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;

/**
 * The receiver's check of a chunk before any of it is written: every line has the four columns,
 * a region code inside the request's jurisdiction (defence in depth: a holder must never send
 * another region's rows), a change sequence inside the range, and a JSON object or \N (a
 * deletion) as data; the count matches the header. The database then parses every value again
 * as it loads them. Returns how many lines are deletions.
 */
export function checkChunk(text: Buffer, expected: ChunkExpectation): { deletions: number } {
  // Compared as bytes: two small strings a line would be most of this check's time (and garbage).
  const j = expected.jurisdiction;
  const wanted = (j.anyOf ?? [j.exact ?? j.prefix ?? '']).map((code) => Buffer.from(code, 'latin1'));
  const exact = j.exact !== undefined;
  let rows = 0;
  let deletions = 0;
  let outside = 0;
  for (let start = 0; start < text.length;) {
    const end = text.indexOf(NEWLINE, start);
    if (end < 0) throw new ChunkRefused('the chunk does not end with a whole line', false);
    const tab1 = text.indexOf(TAB, start);
    const tab2 = tab1 < 0 ? -1 : text.indexOf(TAB, tab1 + 1);
    const tab3 = tab2 < 0 ? -1 : text.indexOf(TAB, tab2 + 1);
    const extra = tab3 < 0 ? -1 : text.indexOf(TAB, tab3 + 1);
    if (tab1 <= start || tab3 < 0 || tab3 > end || (extra >= 0 && extra < end)) {
      throw new ChunkRefused(`line ${rows + 1} of the chunk does not have the four columns`, false);
    }
    if (!wanted.some((code) => regionWithin(text, tab1 + 1, tab2, code, exact))) outside++;
    const seq = digitsValue(text, tab2 + 1, tab3);
    if (seq === null || seq <= expected.after || seq > expected.through) {
      throw new ChunkRefused(`line ${rows + 1} of the chunk has a change sequence outside (${expected.after}, ${expected.through}]`, false);
    }
    if (end - tab3 === 3 && text[tab3 + 1] === BACKSLASH && text[tab3 + 2] === 0x4e /* N */) deletions++;
    else if (text[tab3 + 1] !== OPEN_BRACE) throw new ChunkRefused(`line ${rows + 1} of the chunk does not hold a JSON object`, false);
    rows++;
    start = end + 1;
  }
  if (outside > 0) throw new ChunkRefused(`the holder sent ${outside} rows outside the jurisdiction of the request; refused`, true);
  if (rows !== expected.rows) throw new ChunkRefused(`the chunk holds ${rows} rows, its header says ${expected.rows}`, false);
  return { deletions };
}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** Whether text[start, end) is a six-digit region code equal to `wanted` (exact) or starting with it. */
function regionWithin(text: Buffer, start: number, end: number, wanted: Buffer, exact: boolean): boolean {
  if (end - start !== 6 || wanted.length === 0 || (exact && wanted.length !== 6)) return false;
  for (let i = start; i < end; i++) if (text[i] < DIGIT_0 || text[i] > DIGIT_9) return false;
  return text.compare(wanted, 0, wanted.length, start, start + wanted.length) === 0;
}

/** The non-negative integer written in text[start, end) in decimal digits; null if it is not one (or not safe). */
function digitsValue(text: Buffer, start: number, end: number): number | null {
  if (end <= start || end - start > 16) return null;
  let value = 0;
  for (let i = start; i < end; i++) {
    if (text[i] < DIGIT_0 || text[i] > DIGIT_9) return null;
    value = value * 10 + (text[i] - DIGIT_0);
  }
  return Number.isSafeInteger(value) ? value : null;
}
