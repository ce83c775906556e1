#!/usr/bin/env node
// Fails when the top-level folders of an app's source import each other in a cycle (a imports b,
// b imports a, or a longer loop): each folder is a module that states what it needs, and a cycle
// means two of them cannot be understood, tested or changed apart. Run by `npm run lint`.
'use strict';
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { dirname, join, normalize, relative, sep } = require('node:path');

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** The folder graph of `root`: folder -> Map(folder it imports -> the first file and import that shows it). */
function folderGraph(root) {
  const graph = new Map();
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts')) {
        const from = topFolder(root, path);
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(IMPORT)) {
          const to = topFolder(root, normalize(join(dirname(path), match[1])));
          if (to === from || to === undefined || from === undefined) continue;
          if (!graph.has(from)) graph.set(from, new Map());
          if (!graph.get(from).has(to)) graph.get(from).set(to, `${relative(root, path)} imports ${match[1]}`);
        }
      }
    }
  };
  walk(root);
  return graph;
}

/** The folder directly under `root` that holds `path` (files at the root itself are the app's assembly, not a module). */
function topFolder(root, path) {
  const rel = relative(root, path);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(sep);
  return parts.length > 1 ? parts[0] : undefined;
}

/** Every cycle's folders, as strongly connected components with more than one folder (Tarjan). */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const state = new Map();
  const found = [];
  const visit = (v) => {
    state.set(v, { index, low: index, onStack: true });
    index++;
    stack.push(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!state.has(w)) {
        visit(w);
        state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
      } else if (state.get(w).onStack) {
        state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
      }
    }
    if (state.get(v).low === state.get(v).index) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        state.get(w).onStack = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!state.has(v)) visit(v);
  return found;
}

/** The problems of `root`: one line per cycle, with the imports that close it. */
function folderCycleProblems(root) {
  const graph = folderGraph(root);
  return cycles(graph).map((component) => {
    const members = new Set(component);
    const edges = component.flatMap((from) => [...(graph.get(from) ?? [])].filter(([to]) => members.has(to)).map(([to, why]) => `  ${from} -> ${to}: ${why}`));
    return `folders import each other in a cycle: ${component.join(', ')}\n${edges.join('\n')}`;
  });
}

module.exports = { folderCycleProblems };

if (require.main === module) {
  const roots = process.argv.slice(2);
  const problems = roots.flatMap((root) => folderCycleProblems(root).map((p) => `${root}: ${p}`));
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.exit(1);
  }
}
