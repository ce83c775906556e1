import { isUtf8 } from 'node:buffer';

/** No line of an upload may be longer than this (bytes, without its line break). */
export const MAX_LINE_BYTES = 1024 * 1024;

const LF = 0x0a;

export interface LineSink {
  /** One physical line without its `\n` (a `\r` before it is kept: CSV decides what it means). */
  line(text: string, lineNo: number): void;
  /** A line that is not valid UTF-8; its text is not given. */
  badEncoding(lineNo: number): void;
  /** A line longer than MAX_LINE_BYTES. Return true to skip to the next line, false to stop reading. */
  tooLong(lineNo: number): boolean;
  /** Whether the consumer wants no more lines (too many errors, or a fatal one). */
  readonly stopped: boolean;
}

/**
 * Splits a byte stream into numbered UTF-8 lines, holding at most one line (at most
 * MAX_LINE_BYTES) plus the current chunk in memory. Bytes are cut only after a `\n`, which never
 * occurs inside a multi-byte UTF-8 sequence, so each region handed to the fatal decoder is
 * complete and a sequence split across two chunks is never mistaken for bad encoding.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  /** Bytes of the current, unfinished line. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private lineNo = 1;
  /** Inside an over-long line that the sink chose to skip. */
  private skipping = false;
  private halted = false;
  private atStart = true;
  /** Whether some input was left unread because the sink stopped or reading halted. */
  dropped = false;

  constructor(private readonly sink: LineSink) {}

  /** Line number of the next line to be read (1-based). */
  get currentLine(): number {
    return this.lineNo;
  }

  push(chunk: Buffer): void {
    if (this.halted || this.sink.stopped) {
      if (chunk.length > 0) this.dropped = true;
      return;
    }
    let start = 0;
    if (this.skipping) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) return;
      this.skipping = false;
      this.lineNo++;
      start = nl + 1;
    }
    const lastNl = chunk.lastIndexOf(LF);
    if (lastNl < start) {
      this.hold(chunk.subarray(start));
      return;
    }
    const head = chunk.subarray(start, lastNl + 1);
    const region = this.pendingBytes > 0 ? Buffer.concat([...this.pending, head]) : head;
    this.pending = [];
    this.pendingBytes = 0;
    this.emit(region, true);
    if (lastNl + 1 < chunk.length) this.hold(chunk.subarray(lastNl + 1));
  }

  /** The end of the stream: a last line without a line break is still a line. */
  end(): void {
    if ((this.halted || this.sink.stopped) && this.pendingBytes > 0) this.dropped = true;
    if (this.halted || this.sink.stopped || this.skipping || this.pendingBytes === 0) return;
    const region = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.emit(region, false);
  }

  private hold(bytes: Buffer): void {
    if (this.halted || this.sink.stopped) {
      if (bytes.length > 0) this.dropped = true;
      return;
    }
    if (bytes.length === 0) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes > MAX_LINE_BYTES) {
      // Refuse the line now: the rest of it is never buffered.
      this.pending = [];
      this.pendingBytes = 0;
      if (this.sink.tooLong(this.lineNo)) this.skipping = true;
      else {
        this.halted = true;
        this.dropped = true;
      }
    }
  }

  /** Hands on every line of `region`, which ends with `\n` unless it is the stream's last line. */
  private emit(region: Buffer, endsWithLf: boolean): void {
    if (this.atStart) {
      this.atStart = false;
      // A UTF-8 byte order mark (spreadsheet exports write one) is not part of the first line.
      if (region.length >= 3 && region[0] === 0xef && region[1] === 0xbb && region[2] === 0xbf) region = region.subarray(3);
    }
    let text: string | undefined;
    // A region no longer than the limit cannot hold an over-long line: decode it in one go.
    if (region.length <= MAX_LINE_BYTES) {
      try {
        text = this.decoder.decode(region);
      } catch {
        text = undefined;
      }
    }
    if (text === undefined) {
      this.emitLineByLine(region);
      return;
    }
    const end = endsWithLf ? text.length : text.length + 1;
    let pos = 0;
    while (pos < end && !this.sink.stopped) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = text.length;
      this.sink.line(text.slice(pos, nl), this.lineNo++);
      pos = nl + 1;
    }
    if (pos < end) this.dropped = true;
  }

  /** The slow path: a region with bad bytes or a very long line, checked line by line. */
  private emitLineByLine(region: Buffer): void {
    let pos = 0;
    while (pos < region.length && !this.sink.stopped && !this.halted) {
      let nl = region.indexOf(LF, pos);
      if (nl < 0) nl = region.length;
      const bytes = region.subarray(pos, nl);
      const lineNo = this.lineNo++;
      if (bytes.length > MAX_LINE_BYTES) {
        if (!this.sink.tooLong(lineNo)) {
          this.halted = true;
          this.dropped = true;
        }
      } else if (!isUtf8(bytes)) {
        this.sink.badEncoding(lineNo);
      } else {
        this.sink.line(bytes.toString('utf8'), lineNo);
      }
      pos = nl + 1;
    }
    if (pos < region.length) this.dropped = true;
  }
}
