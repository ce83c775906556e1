/** The administrator password test nodes start with (ADMIN_PASSWORD); strong enough for the node's policy. */
export const TEST_ADMIN_PASSWORD = 'Test-Passw0rd-of-tdx';

interface Credentials {
  username: string;
  password: string;
  token?: Promise<string>;
}

/** Who `api()` signs in as at each node (registered when a test node starts). */
const credentials = new Map<string, Credentials>();

/** Makes `api(base, ...)` sign in at `base` as `username` (the node's admin by default). */
export function signInAs(base: string, username = 'admin', password = TEST_ADMIN_PASSWORD): void {
  credentials.set(base, { username, password });
}

/** Signs in and returns the tokens, or throws with the node's answer. */
export async function login(base: string, username: string, password: string): Promise<{ accessToken: string; refreshToken: string; expiresIn: number }> {
  const response = await request(base, 'POST', '/api/v1/auth/login', { username, password }, undefined);
  if (response.status !== 200) throw new Error(`sign-in as ${username} at ${base} answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body as { accessToken: string; refreshToken: string; expiresIn: number };
}

/** The access token `api()` uses at `base` (signing in on first use). */
export async function accessToken(base: string, fresh = false): Promise<string> {
  const who = credentials.get(base);
  if (!who) throw new Error(`no credentials for ${base}: start it with startInProcessNode/NodeProcess or call signInAs`);
  if (fresh || !who.token) {
    who.token = login(base, who.username, who.password).then((t) => t.accessToken);
    who.token.catch(() => (who.token = undefined));
  }
  return who.token;
}

/** `authorization` header for a raw fetch (uploads) as `api()` would send it. */
export async function authHeaders(base: string): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await accessToken(base)}` };
}

/**
 * A small JSON client for a node's operator API, signed in as the node's admin (see signInAs). A
 * 401 (token expired, node restarted with a new database) signs in again once.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies loosely and assert on them
export async function api<T = any>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  if (!credentials.has(base)) return request<T>(base, method, path, body, undefined);
  const first = await request<T>(base, method, path, body, await accessToken(base));
  if (first.status !== 401) return first;
  return request<T>(base, method, path, body, await accessToken(base, true));
}

/** The same request without signing in, as the public. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as api()
export function anonymous<T = any>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return request<T>(base, method, path, body, undefined);
}

/** The same request with a given access token. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as api()
export function apiWith<T = any>(token: string, base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return request<T>(base, method, path, body, token);
}

async function request<T>(base: string, method: string, path: string, body: unknown, token: string | undefined): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
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
