// The trees `npm run federation`, `bench:province` and `test:chaos` start: real division codes of
// Zhejiang (libs/divisions/src/zhejiang-divisions.json, the project's copy of GB/T 2260), and which
// node runs in which process. Article 9: a county builds on its city's platform unless it really
// must build its own, so a city's process hosts its counties except those named as standalone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ScriptError } from './local-federation.mjs';

const DIVISIONS = JSON.parse(readFileSync(join(ROOT, 'libs/divisions/src/zhejiang-divisions.json'), 'utf8'));

/** Counties that run their own node in the full province: Xihu (as in deploy/nats/county.conf), Yinzhou, Zhuji, Yiwu. */
export const ZHEJIANG_STANDALONE = ['330106', '330212', '330681', '330782'];

/** The small tree: the province, Hangzhou with Xihu (its own process) and Binjiang (hosted), Ningbo with Yinzhou (its own). */
const SMALL = { cities: { 330100: ['330106', '330108'], 330200: ['330212'] }, standalone: ['330106', '330212'] };

export const TOPOLOGIES = ['small', 'zhejiang'];

/**
 * A tree: `nodes` (parents before children: { code, name, level, parent, process }) and
 * `processes` (one per physical node process: { id, codes }, `id` the code of its first node, the
 * one whose nats-server it uses). `hosting`: whether a process may serve several nodes; without
 * it every node is a process of its own.
 */
export function buildTopology(name, { hosting }) {
  if (!TOPOLOGIES.includes(name)) throw new ScriptError(`unknown topology "${name}"; one of: ${TOPOLOGIES.join(', ')}`);
  const cities =
    name === 'small'
      ? DIVISIONS.cities.filter((c) => c.code in SMALL.cities).map((c) => ({ ...c, counties: c.counties.filter((x) => SMALL.cities[c.code].includes(x.code)) }))
      : DIVISIONS.cities;
  const standalone = new Set(name === 'small' ? SMALL.standalone : ZHEJIANG_STANDALONE);
  for (const code of standalone) {
    if (!cities.some((c) => c.counties.some((x) => x.code === code))) throw new ScriptError(`standalone county ${code} is not in the divisions file`);
  }
  const nodes = [{ code: DIVISIONS.province.code, name: DIVISIONS.province.name, level: 'province', parent: undefined, process: DIVISIONS.province.code }];
  for (const city of cities) nodes.push({ code: city.code, name: city.name, level: 'city', parent: DIVISIONS.province.code, process: city.code });
  for (const city of cities) {
    for (const county of city.counties) {
      const own = !hosting || standalone.has(county.code);
      nodes.push({ code: county.code, name: county.name, level: 'county', parent: city.code, process: own ? county.code : city.code });
    }
  }
  const processes = [];
  for (const node of nodes) {
    const existing = processes.find((p) => p.id === node.process);
    if (existing) existing.codes.push(node.code);
    else processes.push({ id: node.process, codes: [node.code] });
  }
  return { name, nodes, processes };
}

/** The tiers of a tree, top down: a child's first join then finds its parent listening. */
export function tiersOf(topology) {
  return ['province', 'city', 'county'].map((level) => topology.nodes.filter((n) => n.level === level));
}
