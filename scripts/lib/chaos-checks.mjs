// What the chaos suite (scripts/chaos.mjs) concludes from what it read from the databases, kept
// apart from the reading so that its verdicts can be tested on made-up states
// (scripts/chaos-checks.spec.ts): a checker that never fails would prove nothing.

/**
 * The catalog after the faults. `byNode`: per node code, its catalog_entry rows by id
 * ({ id, origin, version, status }); `acked`: per entry id, what the API acknowledged last
 * ({ origin, version, status, uncertain: a change of it went unanswered }); `ancestorsOf(code)`.
 * Returns, each as readable lines: `lost` (an acknowledged change missing at its origin),
 * `doubled` (an entry whose every change was answered, at a higher version than they make: a
 * change applied twice), `differ` (an ancestor's copy of an origin's entries not as the origin has them).
 */
export function catalogFindings({ byNode, acked, ancestorsOf }) {
  const lost = [];
  const doubled = [];
  for (const [id, known] of acked) {
    const atOrigin = byNode.get(known.origin)?.get(id);
    if (!atOrigin) lost.push(`${id} (${known.origin}) missing at its origin`);
    else if (atOrigin.version < known.version || (known.status === 'retired' && atOrigin.status !== 'retired'))
      lost.push(`${id} at ${known.origin} is version ${atOrigin.version} ${atOrigin.status}, acknowledged ${known.version} ${known.status}`);
    else if (!known.uncertain && atOrigin.version !== known.version)
      doubled.push(`${id} at ${known.origin} is version ${atOrigin.version}, acknowledged changes make ${known.version}`);
  }
  const differ = [];
  for (const [code, own] of byNode) {
    const mine = [...own.values()].filter((r) => r.origin === code);
    for (const ancestor of ancestorsOf(code)) {
      const there = byNode.get(ancestor);
      if (!there) continue;
      const held = [...there.values()].filter((r) => r.origin === code);
      if (held.length !== mine.length) differ.push(`${ancestor} holds ${held.length} entries of ${code}, which has ${mine.length}`);
      for (const r of mine) {
        const h = there.get(r.id);
        if (!h || h.version !== r.version || h.status !== r.status)
          differ.push(`${ancestor} holds ${r.id} of ${code} as ${h ? `${h.version} ${h.status}` : 'nothing'}, origin ${r.version} ${r.status}`);
      }
    }
  }
  return { lost, doubled, differ };
}

/** One row as compared: its key, region and values (keys sorted, so that column order does not count). */
function rowKey(r) {
  const data =
    r.data === null
      ? null
      : Object.fromEntries(
          Object.keys(r.data)
            .sort()
            .map((k) => [k, r.data[k]]),
        );
  return `${r.row_key}|${r.region_code}|${JSON.stringify(data)}`;
}

/** The returned rows against the holder's ({ row_key, region_code, data } each): every difference, at most ten lines. */
export function rowSetFindings(held, got) {
  const heldSet = new Set(held.map(rowKey));
  const gotSet = new Set(got.map(rowKey));
  const missing = [...heldSet].filter((k) => !gotSet.has(k));
  const extra = [...gotSet].filter((k) => !heldSet.has(k));
  // A row returned twice cannot be (the receiver's key is request and row key), but say so if it were.
  const twice = got.length - gotSet.size;
  return [
    ...missing.slice(0, 5).map((k) => `missing ${k}`),
    ...extra.slice(0, 5).map((k) => `extra ${k}`),
    ...(missing.length + extra.length > 10 ? [`${missing.length} missing, ${extra.length} extra in all`] : []),
    ...(twice > 0 ? [`${twice} rows returned more than once`] : []),
  ];
}
