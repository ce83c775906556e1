import { cutChunk } from './return-chunk';

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
