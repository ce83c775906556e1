import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError } from '../api/client';

/** A node that accepts only the token `fresh`, and answers every other one with 401. */
function node(calls: string[]): typeof fetch {
  return (async (url: string, init?: RequestInit) => {
    const token = (init?.headers as Record<string, string>).authorization;
    calls.push(`${init?.method} ${url} ${token ?? '-'}`);
    if (token !== 'Bearer fresh')
      return new Response(JSON.stringify({ statusCode: 401, error: 'Unauthorized', message: 'sign in' }), {
        status: 401,
        headers: { 'content-type': 'application/json' },
      });
    return new Response(JSON.stringify({ ok: true }), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

describe('an ended session', () => {
  it('waits for the user to sign in again, then sends the refused request again (the page keeps its state)', async () => {
    const calls: string[] = [];
    let token = 'stale';
    let signInAgain!: () => void;
    const expired = vi.fn(
      () =>
        new Promise<void>((resolve) => {
          signInAgain = () => {
            token = 'fresh';
            resolve();
          };
        }),
    );
    const client = new ApiClient({ accessToken: () => token, refresh: async () => false, expired }, node(calls));

    const pending = client.call('GET /api/v1/auth/me');
    await vi.waitFor(() => expect(expired).toHaveBeenCalledTimes(1));
    // Still waiting: nothing failed in the page meanwhile.
    let settled = false;
    void pending.finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);

    signInAgain();
    await expect(pending).resolves.toEqual({ ok: true });
    expect(calls).toEqual(['GET /api/v1/auth/me Bearer stale', 'GET /api/v1/auth/me Bearer fresh']);
  });

  it('uses a refreshed token without asking the user when the refresh cookie still holds', async () => {
    const calls: string[] = [];
    let token = 'stale';
    const expired = vi.fn(async () => undefined);
    const client = new ApiClient({ accessToken: () => token, refresh: async () => ((token = 'fresh'), true), expired }, node(calls));
    await expect(client.call('GET /api/v1/node')).resolves.toEqual({ ok: true });
    expect(expired).not.toHaveBeenCalled();
    expect(calls).toHaveLength(2);
  });

  it('passes a refusal after a new sign-in on to the page as an ApiError', async () => {
    const client = new ApiClient({ accessToken: () => 'stale', refresh: async () => false, expired: async () => undefined }, node([]));
    await expect(client.call('GET /api/v1/node')).rejects.toBeInstanceOf(ApiError);
  });
});
