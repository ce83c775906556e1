import { KitError } from './errors';

/** The administrator password test nodes start with (ADMIN_PASSWORD); strong enough for the node's policy. */
export const TEST_ADMIN_PASSWORD = 'Test-Passw0rd-of-tdx';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests and scripts read response bodies loosely and assert on them
export interface Answer<T = any> {
  status: number;
  body: T;
}

/** An answer a caller did not expect (apiOk), or a sign-in that failed. */
export class ApiError extends KitError {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
  }
  override name = 'ApiError';
}

/** Signing in failed: the account or its password is not what the node holds. */
export class SignInError extends ApiError {
  override name = 'SignInError';
}

interface Credentials {
  username: string;
  password: string;
  token?: Promise<string>;
}

/** Who `api()` signs in as at each node (registered when a node is started). */
const credentials = new Map<string, Credentials>();

/** Makes `api(base, ...)` sign in at `base` as `username` (the node's admin by default). */
export function signInAs(base: string, username = 'admin', password = TEST_ADMIN_PASSWORD): void {
  credentials.set(base, { username, password });
}

/** Signs in and returns the tokens, or throws a SignInError with the node's answer. */
export async function login(base: string, username: string, password: string): Promise<{ accessToken: string; refreshToken: string; expiresIn: number }> {
  const response = await request(base, 'POST', '/api/v1/auth/login', { username, password }, undefined);
  if (response.status !== 200) {
    throw new SignInError(`sign-in as ${username} at ${base} answered ${response.status}: ${JSON.stringify(response.body)}`, response.status, response.body);
  }
  return response.body as { accessToken: string; refreshToken: string; expiresIn: number };
}

/** The access token `api()` uses at `base` (signing in on first use, or again when `fresh`). */
export async function accessToken(base: string, fresh = false): Promise<string> {
  const who = credentials.get(base);
  if (!who) throw new Error(`no credentials for ${base}: start the node through the test kit or call signInAs`);
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
 * A small JSON client for a node's operator API, signed in as registered by signInAs (anonymous
 * where nobody is). A 401 (token expired, node restarted with a new database) signs in again once.
 * Any status is returned, for the caller to assert on.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as Answer
export async function api<T = any>(base: string, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  if (!credentials.has(base)) return request<T>(base, method, path, body, undefined);
  const first = await request<T>(base, method, path, body, await accessToken(base));
  if (first.status !== 401) return first;
  return request<T>(base, method, path, body, await accessToken(base, true));
}

/**
 * As api(), but an answer outside 2xx that `expect` does not list throws an ApiError naming the
 * request and the answer: for scripts, which stop at the first surprise.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as Answer
export async function apiOk<T = any>(base: string, method: string, path: string, body?: unknown, options: { expect?: number[] } = {}): Promise<Answer<T>> {
  const answer = await api<T>(base, method, path, body);
  const ok = answer.status >= 200 && answer.status < 300;
  if (!ok && !(options.expect ?? []).includes(answer.status)) {
    const detail = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    throw new ApiError(`${method} ${base}${path} answered ${answer.status}: ${detail.slice(0, 800)}`, answer.status, answer.body);
  }
  return answer;
}

/** The same request without signing in, as the public. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as Answer
export function anonymous<T = any>(base: string, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  return request<T>(base, method, path, body, undefined);
}

/** The same request with a given access token. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as Answer
export function apiWith<T = any>(token: string, base: string, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  return request<T>(base, method, path, body, token);
}

async function request<T>(base: string, method: string, path: string, body: unknown, token: string | undefined): Promise<Answer<T>> {
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
