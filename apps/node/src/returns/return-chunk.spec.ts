import { buildChunk, ChunkSourceRow, maskedJson } from './return-chunk';
import { maskPlan, maskRow } from './masking';

const items = [
  { name: 'name', sensitive: false },
  { name: 'id_number', sensitive: true },
  { name: 'phone', sensitive: true },
];

function sourceRow(data: Record<string, unknown> | null, seq = 7, key = 'k1', region = '330106'): ChunkSourceRow {
  const plan = maskPlan('L2', items);
  if (data === null) return { rowKey: key, regionCode: region, changeSeq: String(seq), rest: null, sensitive: plan.sensitive.map(() => null) };
  const rest = Object.fromEntries(Object.entries(data).filter(([k]) => !plan.sensitive.includes(k)));
  return {
    rowKey: key, regionCode: region, changeSeq: String(seq), rest: JSON.stringify(rest),
    sensitive: plan.sensitive.map((name) => (name in data ? JSON.stringify(data[name]) : null)),
  };
}

describe('return chunks', () => {
  it.each(['L1', 'L2', 'L3', 'L4'] as const)('mask like maskRow at grade %s, keeping absent items absent', (grade) => {
    const plan = maskPlan(grade, items);
    for (const data of [
      { name: '浙江某某公司', id_number: '330106199001011234', phone: '13812345678' },
      { name: 'x', phone: null },
      { name: 'y', id_number: 42 },
      { id_number: '330106199001011234' },
    ]) {
      expect(JSON.parse(maskedJson(sourceRow(data), plan))).toEqual(maskRow(data, plan));
    }
  });

  it('writes COPY text: tab-separated, \\N for a deletion, backslashes doubled', () => {
    const plan = maskPlan('L2', items);
    const built = buildChunk([sourceRow({ name: 'a\\b\t"c"' }, 5, 'k\t1'), sourceRow(null, 9, 'k2')], plan, 1_000_000);
    expect(built).toMatchObject({ rows: 2, lastSeq: 9, cut: false });
    const lines = built.text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('k\\t1\t330106\t5\t{"name":"a\\\\\\\\b\\\\t\\\\"c\\\\""}');
    expect(lines[1]).toBe('k2\t330106\t9\t\\N');
    expect(lines[2]).toBe('');
  });

  it('cuts at the byte budget but always sends at least one row', () => {
    const plan = maskPlan('L2', items);
    const rows = [1, 2, 3].map((i) => sourceRow({ name: 'x'.repeat(100) }, i, `k${i}`));
    const two = buildChunk(rows, plan, 300);
    expect(two).toMatchObject({ rows: 2, lastSeq: 2, cut: true });
    expect(Buffer.byteLength(two.text)).toBeLessThanOrEqual(300);
    expect(buildChunk(rows, plan, 10)).toMatchObject({ rows: 1, lastSeq: 1, cut: true });
  });
});
