/** A small JSON client for a node's operator API. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies loosely and assert on them
export async function api<T = any>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (metrics, errors from outside the app): the text itself.
  }
  return { status: response.status, body: parsed as T };
}

export function sampleInstitution(name = 'Market Regulation Bureau') {
  return { name, kind: 'government' };
}

export function sampleEntry(providerId: string, overrides: Record<string, unknown> = {}) {
  return {
    type: 'data',
    name: 'Enterprise register',
    summary: 'Registered enterprises of the division',
    providerId,
    category: 'market-regulation',
    grade: 'L1',
    shareType: 'unconditional',
    openType: 'unconditional',
    updateCycle: 'daily',
    format: 'csv',
    dataItems: [
      { name: 'uscc', type: 'string', sensitive: false },
      { name: 'legal_person_id', type: 'string', sensitive: true },
    ],
    ...overrides,
  };
}
