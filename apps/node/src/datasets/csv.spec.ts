import { CsvRecordParser, CsvResult } from './csv';
import { LineSink, LineSplitter, MAX_LINE_BYTES } from './lines';
import { fromJson, fromText } from './values';

/** Runs text (already split into physical lines by \n) through the parser. */
function parse(text: string): CsvResult[] {
  const parser = new CsvRecordParser();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const results = lines.map((line, i) => parser.line(line, i + 1));
  return [...results, parser.end()].filter((r) => r.kind !== 'none');
}

const records = (text: string) => parse(text).map((r) => (r.kind === 'record' ? r.record : r));

describe('CsvRecordParser (RFC 4180)', () => {
  it('splits plain records; an empty unquoted field is null, "" is the empty string', () => {
    expect(records('a,b,c\r\n1,,""\n')).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['1', null, ''], line: 2 },
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks (kept as CRLF or LF), numbered by their first line', () => {
    expect(records('k,"a, ""b""",x\n"multi\r\nline\nvalue",2\r\nlast,"\r\n"\r\n')).toEqual([
      { fields: ['k', 'a, "b"', 'x'], line: 1 },
      { fields: ['multi\r\nline\nvalue', '2'], line: 2 },
      { fields: ['last', '\r\n'], line: 5 },
    ]);
  });

  it('skips blank lines', () => {
    expect(records('a\n\n\r\nb\n')).toEqual([
      { fields: ['a'], line: 1 },
      { fields: ['b'], line: 4 },
    ]);
  });

  it('refuses a quote inside an unquoted field and text after a closing quote, then goes on', () => {
    expect(records('ab"c,d\n"ab"c,d\nok,1\n')).toEqual([
      { kind: 'error', line: 1, fatal: false, message: expect.stringContaining('double quote inside an unquoted field') },
      { kind: 'error', line: 2, fatal: false, message: expect.stringContaining('unexpected text after a closing quote') },
      { fields: ['ok', '1'], line: 3 },
    ]);
  });

  it('reports an unterminated quote at the end, by the line it opened on', () => {
    expect(records('a,b\nc,"open\nmore\n')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { kind: 'error', line: 2, fatal: true, message: expect.stringContaining('unterminated quoted field: the quote opened at line 2') },
    ]);
  });

  it('refuses a quoted record that grows past 1 MiB', () => {
    const parser = new CsvRecordParser();
    expect(parser.line('"start', 1).kind).toBe('none');
    const chunk = 'x'.repeat(64 * 1024);
    let result: CsvResult = { kind: 'none' };
    for (let line = 2; result.kind === 'none' && line < 40; line++) result = parser.line(chunk, line);
    expect(result).toMatchObject({ kind: 'error', line: 1, fatal: true, message: expect.stringContaining('longer than 1 MiB') });
  });
});

class Collect implements LineSink {
  lines: [number, string][] = [];
  bad: number[] = [];
  long: number[] = [];
  stopped = false;
  constructor(private readonly skipLong = true) {}
  line(text: string, lineNo: number) {
    this.lines.push([lineNo, text]);
  }
  badEncoding(lineNo: number) {
    this.bad.push(lineNo);
  }
  tooLong(lineNo: number) {
    this.long.push(lineNo);
    return this.skipLong;
  }
}

describe('LineSplitter', () => {
  it('keeps multi-byte characters split across chunks, strips a BOM, and gives the last line without a break', () => {
    const bytes = Buffer.from('\uFEFF杭州,1\r\n西湖,2\nlast');
    const sink = new Collect();
    const splitter = new LineSplitter(sink);
    for (let i = 0; i < bytes.length; i++) splitter.push(bytes.subarray(i, i + 1));
    splitter.end();
    expect(sink.lines).toEqual([
      [1, '杭州,1\r'],
      [2, '西湖,2'],
      [3, 'last'],
    ]);
    expect(sink.bad).toEqual([]);
  });

  it('names the lines that are not UTF-8 (Latin-1, GBK) and passes the others', () => {
    const sink = new Collect();
    const splitter = new LineSplitter(sink);
    splitter.push(
      Buffer.concat([Buffer.from('ok\nCaf'), Buffer.from([0xe9]), Buffer.from('\n'), Buffer.from([0xba, 0xbc, 0xd6, 0xdd]), Buffer.from('\nfine\n')]),
    );
    splitter.end();
    expect(sink.bad).toEqual([2, 3]);
    expect(sink.lines).toEqual([
      [1, 'ok'],
      [4, 'fine'],
    ]);
  });

  it('refuses an over-long line without holding it, then skips to the next line', () => {
    const sink = new Collect(true);
    const splitter = new LineSplitter(sink);
    splitter.push(Buffer.from('first\n'));
    const piece = Buffer.alloc(256 * 1024, 0x78);
    for (let i = 0; i < 8; i++) splitter.push(piece);
    expect(sink.long).toEqual([2]);
    splitter.push(Buffer.from('xxx\nnext\n'));
    splitter.end();
    expect(sink.lines).toEqual([
      [1, 'first'],
      [3, 'next'],
    ]);
    expect(splitter.dropped).toBe(false);
  });

  it('stops for good when the sink says so, and says input was left unread', () => {
    const sink = new Collect(false);
    const splitter = new LineSplitter(sink);
    splitter.push(Buffer.concat([Buffer.alloc(MAX_LINE_BYTES + 1, 0x61), Buffer.from('\nmore\n')]));
    splitter.push(Buffer.from('and more\n'));
    splitter.end();
    expect(sink.long).toEqual([1]);
    expect(sink.lines).toEqual([]);
    expect(splitter.dropped).toBe(true);
  });
});

describe('values by data item type', () => {
  it('gives canonical JSON for good values', () => {
    expect(fromText('integer', '+007')).toEqual({ json: '7' });
    expect(fromText('integer', '-9223372036854775808')).toEqual({ json: '-9223372036854775808' });
    expect(fromText('decimal', '-.50')).toEqual({ json: '-0.50' });
    expect(fromText('decimal', '0012.')).toEqual({ json: '12' });
    expect(fromText('boolean', 'TRUE')).toEqual({ json: 'true' });
    expect(fromText('date', '2024-02-29')).toEqual({ json: '"2024-02-29"' });
    expect(fromText('datetime', '2024-02-29 23:59:59.5+08:00')).toEqual({ json: '"2024-02-29T23:59:59.5+08:00"' });
    expect(fromText('binary', 'aGk=')).toEqual({ json: '"aGk="' });
    expect(fromText('string', 'say "hi"\n')).toEqual({ json: '"say \\"hi\\"\\n"' });
    expect(fromText('string', null)).toEqual({ json: 'null' });
    expect(fromJson('integer', 42)).toEqual({ json: '42' });
    expect(fromJson('decimal', 0.1)).toEqual({ json: '0.1' });
  });

  it('refuses values that do not fit the type', () => {
    for (const [type, text] of [
      ['integer', '1.0'],
      ['integer', '9223372036854775808'],
      ['decimal', '1e5'],
      ['decimal', '.'],
      ['boolean', 'yes'],
      ['date', '2023-02-29'],
      ['date', '2023-1-1'],
      ['datetime', '2023-01-01T24:00'],
      ['datetime', '2023-01-01'],
      ['binary', 'abc'],
      ['string', 'nul\u0000'],
    ] as const) {
      expect(fromText(type, text)).toEqual({ error: expect.any(String) });
    }
    expect(fromJson('integer', 1.5)).toEqual({ error: expect.any(String) });
    expect(fromJson('string', 5)).toEqual({ error: expect.any(String) });
    expect(fromJson('boolean', 'true')).toEqual({ error: expect.any(String) });
    expect(fromJson('string', '\ud800')).toEqual({ error: expect.any(String) });
  });
});
