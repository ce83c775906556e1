import { checkChunk, ChunkRefused, cutChunk } from './return-chunk';

const line = (key: string, seq: number, data = '{"a":1}') => `${key}\t330106\t${seq}\t${data}\n`;

describe('cutting a chunk to the byte budget', () => {
  const text = Buffer.from(line('k1', 5) + line('k\\t2', 9, '\\N') + line('k3', 12, `{"x":"${'y'.repeat(100)}"}`));

  it('keeps everything that fits, counting rows and reading the last sequence', () => {
    expect(cutChunk(text, text.length)).toMatchObject({ rows: 3, lastSeq: 12, cut: false });
    expect(cutChunk(text, text.length).text.equals(text)).toBe(true);
  });

  it('cuts at the last whole line under the budget', () => {
    const budget = Buffer.byteLength(line('k1', 5) + line('k\\t2', 9, '\\N')) + 10;
    const cut = cutChunk(text, budget);
    expect(cut).toMatchObject({ rows: 2, lastSeq: 9, cut: true });
    expect(cut.text.toString()).toBe(line('k1', 5) + line('k\\t2', 9, '\\N'));
  });

  it('always sends at least one row, and nothing from nothing', () => {
    expect(cutChunk(text, 3)).toMatchObject({ rows: 1, lastSeq: 5, cut: true });
    expect(cutChunk(Buffer.alloc(0), 3)).toMatchObject({ rows: 0, lastSeq: null, cut: false });
  });

  it('refuses a line without a change sequence', () => {
    expect(() => cutChunk(Buffer.from('k1 330106\n'), 100)).toThrow(/change sequence/);
  });
});

describe('checking a chunk at the receiver', () => {
  const city = { prefix: '3301' };
  const ok = Buffer.from(line('k1', 5) + line('k\\t2', 9, '\\N') + line('k3', 12));
  const refusal = (text: string, expected: Partial<Parameters<typeof checkChunk>[1]> = {}) => {
    try {
      checkChunk(Buffer.from(text), { after: 0, through: 20, rows: text.split('\n').length - 1, jurisdiction: city, ...expected });
    } catch (error) {
      return error as ChunkRefused;
    }
    throw new Error('accepted');
  };

  it('accepts whole lines inside the range and the jurisdiction, counting deletions', () => {
    expect(checkChunk(ok, { after: 4, through: 12, rows: 3, jurisdiction: city })).toEqual({ deletions: 1 });
    expect(checkChunk(ok, { after: 4, through: 12, rows: 3, jurisdiction: { exact: '330106' } })).toEqual({ deletions: 1 });
    expect(checkChunk(Buffer.alloc(0), { after: 4, through: 12, rows: 0, jurisdiction: city })).toEqual({ deletions: 0 });
  });

  it('refuses, for good, a row outside the jurisdiction', () => {
    const outside = refusal(line('k1', 5).replace('330106', '330212'));
    expect(outside).toMatchObject({ permanent: true, message: expect.stringMatching(/1 rows outside the jurisdiction/) });
    expect(refusal(line('k1', 5), { jurisdiction: { exact: '330108' } }).permanent).toBe(true);
    expect(refusal(line('k1', 5).replace('330106', '3301x6')).permanent).toBe(true);
  });

  it("takes rows of any of a share grant's regions, and refuses one of none of them", () => {
    const two = Buffer.from(line('k1', 5) + line('k2', 6).replace('330106', '330212'));
    expect(checkChunk(two, { after: 4, through: 12, rows: 2, jurisdiction: { anyOf: ['330106', '3302'] } })).toEqual({ deletions: 0 });
    expect(refusal(two.toString(), { jurisdiction: { anyOf: ['3301', '330203'] } })).toMatchObject({
      permanent: true,
      message: expect.stringMatching(/1 rows outside the jurisdiction/),
    });
  });

  it.each([
    ['a count other than the header', line('k1', 5), { rows: 2 }, /holds 1 rows, its header says 2/],
    ['a sequence at or before after', line('k1', 5), { after: 5 }, /outside \(5, 20\]/],
    ['a sequence past through', line('k1', 21), {}, /outside \(0, 20\]/],
    ['a sequence that is no number', line('k1', 5).replace('\t5\t', '\t5x\t'), {}, /change sequence/],
    ['data that is no object', line('k1', 5, '[1]'), {}, /JSON object/],
    ['a missing column', 'k1\t330106\t5\n', {}, /four columns/],
    ['an extra column', 'k1\t330106\t5\t{}\tx\n', {}, /four columns/],
    ['an empty key', line('', 5), {}, /four columns/],
    ['a last line cut short', line('k1', 5).slice(0, -1), { rows: 1 }, /whole line/],
  ])('refuses %s, to be pulled again', (_what, text, expected, message) => {
    const error = refusal(text, expected);
    expect(error).toBeInstanceOf(ChunkRefused);
    expect(error).toMatchObject({ permanent: false, message: expect.stringMatching(message) });
  });
});
