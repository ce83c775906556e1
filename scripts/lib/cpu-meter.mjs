// CPU time per request of the processes a benchmark drives: it says where a request's time goes,
// and it moves much less than a rate when other work shares the cores (a rate counts the time a
// process waits for a core; this does not, though a crowded machine still inflates it: seen here up
// to 2x at a load average of 12). Linux only (/proc).
import { readFileSync } from 'node:fs';
import { withPg } from '@tdx/testing';

/** Clock ticks (10 ms) of CPU, user and system, a process has used so far; 0 once it is gone. */
function cpuTicks(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * A meter over named groups of processes (`{ xihu: [pid] }`) and, under `postgres`, the server
 * processes serving `databases` now (a node's pool keeps its sessions, so take it after a warm-up).
 * `perRequest(n)`: CPU milliseconds per request of each group since the start or `restart()`.
 * Ticks are 10 ms: it needs a few thousand requests to say much.
 */
export async function cpuMeter({ processes, pgAdminUrl, databases }) {
  const backends = await withPg(pgAdminUrl, async (client) => {
    const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE datname = ANY($1)', [databases]);
    return rows.map((r) => r.pid);
  });
  const groups = { ...processes, postgres: backends };
  const read = () => Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, pids.reduce((sum, pid) => sum + cpuTicks(pid), 0)]));
  let start = read();
  return {
    restart: () => {
      start = read();
    },
    perRequest: (requests) => {
      const now = read();
      return Object.fromEntries(Object.keys(groups).map((name) => [name, Number((((now[name] - start[name]) * 10) / Math.max(requests, 1)).toFixed(2))]));
    },
  };
}

/** `{ xihu: 1.2, postgres: 0.4 }` as "xihu 1.2, postgres 0.4". */
export function cpuText(perRequest) {
  return Object.entries(perRequest)
    .map(([name, ms]) => `${name} ${ms}`)
    .join(', ');
}
