import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TOPOLOGY = resolve(__dirname, 'lib/topology.mjs');
const DIVISIONS = JSON.parse(readFileSync(resolve(__dirname, '../libs/divisions/src/zhejiang-divisions.json'), 'utf8')) as {
  cities: { code: string; counties: { code: string }[] }[];
};

interface Tree {
  nodes: { code: string; level: string; parent?: string; process: string }[];
  processes: { id: string; codes: string[] }[];
}

/** The trees of `npm run federation`, bench:province and test:chaos, as the script module builds them (it needs the build: @tdx/testing). */
async function build(name: string, hosting: boolean): Promise<Tree> {
  const code = `import('${TOPOLOGY}').then((m) => process.stdout.write(JSON.stringify(m.buildTopology(${JSON.stringify(name)}, { hosting: ${hosting} }))))`;
  const { stdout } = await run(process.execPath, ['-e', code]);
  return JSON.parse(stdout) as Tree;
}

describe('the local trees (scripts/lib/topology.mjs)', () => {
  it('zhejiang: 1 province, 11 cities and 90 counties of the divisions file, each county under its own city', async () => {
    const tree = await build('zhejiang', true);
    expect(tree.nodes).toHaveLength(102);
    expect(tree.nodes.filter((n) => n.level === 'province').map((n) => n.code)).toEqual(['330000']);
    expect(tree.nodes.filter((n) => n.level === 'city').map((n) => n.code)).toEqual(DIVISIONS.cities.map((c) => c.code));
    const cityOf = new Map(DIVISIONS.cities.flatMap((c) => c.counties.map((x) => [x.code, c.code] as const)));
    const counties = tree.nodes.filter((n) => n.level === 'county');
    expect(counties).toHaveLength(90);
    for (const county of counties) expect(county.parent).toBe(cityOf.get(county.code));
    // Parents come before their children: a tier starts after the one it joins.
    const seen = new Set<string>();
    for (const node of tree.nodes) {
      if (node.parent) expect(seen.has(node.parent)).toBe(true);
      seen.add(node.code);
    }
  });

  it('zhejiang: each city hosts its counties but four, which run their own process', async () => {
    const tree = await build('zhejiang', true);
    const own = tree.nodes.filter((n) => n.level === 'county' && n.process === n.code).map((n) => n.code);
    expect(own.sort()).toEqual(['330106', '330212', '330681', '330782']);
    for (const county of tree.nodes.filter((n) => n.level === 'county' && n.process !== n.code)) expect(county.process).toBe(county.parent);
    expect(tree.processes).toHaveLength(1 + 11 + 4);
    expect(tree.processes.flatMap((p) => p.codes).sort()).toEqual(tree.nodes.map((n) => n.code).sort());
    const hangzhou = tree.processes.find((p) => p.id === '330100');
    expect(hangzhou?.codes).toHaveLength(1 + 13 - 1);
  });

  it('without hosting every node is a process of its own', async () => {
    const tree = await build('zhejiang', false);
    expect(tree.processes).toHaveLength(102);
    for (const p of tree.processes) expect(p.codes).toEqual([p.id]);
  });

  it('small: the province, Hangzhou hosting Binjiang, Xihu alone, Ningbo and Yinzhou', async () => {
    const tree = await build('small', true);
    expect(tree.nodes.map((n) => `${n.code}<${n.parent ?? ''}@${n.process}`)).toEqual([
      '330000<@330000',
      '330100<330000@330100',
      '330200<330000@330200',
      '330106<330100@330106',
      '330108<330100@330100',
      '330212<330200@330212',
    ]);
  });

  it('refuses an unknown topology, naming the ones there are', async () => {
    await expect(build('jiangsu', true)).rejects.toThrow(/unknown topology "jiangsu"; one of: small, zhejiang/);
  });
});
