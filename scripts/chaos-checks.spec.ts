import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHECKS = resolve(__dirname, 'lib/chaos-checks.mjs');

interface Row {
  id: string;
  origin: string;
  version: number;
  status: string;
}
interface Acked {
  origin: string;
  version: number;
  status: string;
  uncertain: boolean;
}

/** The chaos suite's verdict on a made-up state (the module is plain JavaScript, run as the suite runs it). */
async function catalogFindings(byNode: Record<string, Row[]>, acked: Record<string, Acked>): Promise<{ lost: string[]; doubled: string[]; differ: string[] }> {
  const parents: Record<string, string> = { '330100': '330000', '330106': '330100' };
  const code = `import('${CHECKS}').then((m) => {
    const input = ${JSON.stringify({ byNode, acked, parents })};
    const byNode = new Map(Object.entries(input.byNode).map(([c, rows]) => [c, new Map(rows.map((r) => [r.id, r]))]));
    const ancestorsOf = (c) => { const a = []; for (let at = input.parents[c]; at; at = input.parents[at]) a.push(at); return a; };
    process.stdout.write(JSON.stringify(m.catalogFindings({ byNode, acked: new Map(Object.entries(input.acked)), ancestorsOf })));
  })`;
  return JSON.parse((await run(process.execPath, ['-e', code])).stdout);
}

async function rowSetFindings(held: unknown[], got: unknown[]): Promise<string[]> {
  const code = `import('${CHECKS}').then((m) => process.stdout.write(JSON.stringify(m.rowSetFindings(${JSON.stringify(held)}, ${JSON.stringify(got)}))))`;
  return JSON.parse((await run(process.execPath, ['-e', code])).stdout);
}

const entry = (id: string, origin: string, version = 1, status = 'active'): Row => ({ id, origin, version, status });
const ack = (origin: string, version = 1, status = 'active', uncertain = false): Acked => ({ origin, version, status, uncertain });

describe("the chaos suite's checks fail when they should (scripts/lib/chaos-checks.mjs)", () => {
  const agreed = {
    '330106': [entry('a', '330106', 2), entry('b', '330106', 1, 'retired')],
    '330100': [entry('a', '330106', 2), entry('b', '330106', 1, 'retired'), entry('c', '330100')],
    '330000': [entry('a', '330106', 2), entry('b', '330106', 1, 'retired'), entry('c', '330100')],
  };

  it('passes a tree that agrees with everything acknowledged', async () => {
    expect(await catalogFindings(agreed, { a: ack('330106', 2), b: ack('330106', 1, 'retired'), c: ack('330100') })).toEqual({
      lost: [],
      doubled: [],
      differ: [],
    });
  });

  it('finds an acknowledged entry missing at its origin, and one whose acknowledged retirement is not there', async () => {
    const found = await catalogFindings(agreed, { a: ack('330106', 2), x: ack('330106'), c: ack('330100', 1, 'retired') });
    expect(found.lost).toEqual(['x (330106) missing at its origin', 'c at 330100 is version 1 active, acknowledged 1 retired']);
  });

  it('finds a change applied twice, unless a change of that entry went unanswered', async () => {
    expect((await catalogFindings(agreed, { a: ack('330106', 1) })).doubled).toEqual(['a at 330106 is version 2, acknowledged changes make 1']);
    expect((await catalogFindings(agreed, { a: ack('330106', 1, 'active', true) })).doubled).toEqual([]);
  });

  it("finds an ancestor's copy behind the origin, and an entry the origin does not have", async () => {
    const behind = { ...agreed, '330000': [entry('a', '330106', 1), entry('b', '330106', 1, 'retired'), entry('c', '330100'), entry('z', '330106')] };
    expect((await catalogFindings(behind, {})).differ).toEqual([
      '330000 holds 3 entries of 330106, which has 2',
      '330000 holds a of 330106 as 1 active, origin 2 active',
    ]);
  });

  it('finds returned rows missing, extra, or with other values; not a mere order of columns', async () => {
    const held = [
      { row_key: 'r1', region_code: '330106', data: { 名称: '甲', 资本: '1.50' } },
      { row_key: 'r2', region_code: '330108', data: { 名称: '乙', 资本: '2.00' } },
    ];
    expect(await rowSetFindings(held, [held[1], { ...held[0], data: { 资本: '1.50', 名称: '甲' } }])).toEqual([]);
    expect(await rowSetFindings(held, [held[0]])).toEqual(['missing r2|330108|{"名称":"乙","资本":"2.00"}']);
    expect(await rowSetFindings(held, [held[0], { ...held[1], data: { 名称: '乙', 资本: '2.01' } }])).toEqual([
      'missing r2|330108|{"名称":"乙","资本":"2.00"}',
      'extra r2|330108|{"名称":"乙","资本":"2.01"}',
    ]);
  });
});
