import type { Schemas } from '../api/client';

/** Sign-in in cookie mode: the refresh token stays in an HttpOnly cookie, the access token is returned. */
const COOKIE_MODE = { 'x-tdx-session': 'cookie' } as const;

export interface AccessGrant {
  accessToken: string;
  expiresIn: number;
}

export type SignInOutcome = { ok: true; grant: AccessGrant } | { ok: false; reason: 'credentials' | 'rate' | 'unreachable' | 'other'; message?: string };

async function post(path: string, body: unknown, fetcher: typeof fetch): Promise<Response> {
  return fetcher(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...COOKIE_MODE },
    body: JSON.stringify(body ?? {}),
    credentials: 'same-origin',
  });
}

export async function signIn(username: string, password: string, fetcher: typeof fetch = fetch): Promise<SignInOutcome> {
  let response: Response;
  try {
    response = await post('/api/v1/auth/login', { username, password } satisfies Schemas['LoginDto'], fetcher);
  } catch {
    return { ok: false, reason: 'unreachable' };
  }
  if (response.ok) return { ok: true, grant: (await response.json()) as AccessGrant };
  if (response.status === 401) return { ok: false, reason: 'credentials' };
  if (response.status === 429) return { ok: false, reason: 'rate' };
  const body = (await response.json().catch(() => ({}))) as { message?: string | string[] };
  return { ok: false, reason: 'other', message: Array.isArray(body.message) ? body.message.join('; ') : body.message };
}

/** A new access token for the refresh cookie; undefined when there is no session (or it has ended). */
export async function refreshSession(fetcher: typeof fetch = fetch): Promise<AccessGrant | undefined> {
  try {
    const response = await post('/api/v1/auth/refresh', {}, fetcher);
    return response.ok ? ((await response.json()) as AccessGrant) : undefined;
  } catch {
    return undefined;
  }
}

export async function signOut(fetcher: typeof fetch = fetch): Promise<void> {
  await post('/api/v1/auth/logout', {}, fetcher).catch(() => undefined);
}
