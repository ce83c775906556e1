import { api } from './api';
import { KitError } from './errors';

/**
 * Waits until the node at `url` holds a valid trust list naming every code in `codes`: until then
 * it trusts no other node (fail closed), and a return request right after start-up would get 503.
 */
export async function waitForTrustList(url: string, codes: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 'no answer yet';
  for (;;) {
    const { status, body } = await api(url, 'GET', '/api/v1/federation/trust-list');
    const named = new Set(((body?.nodes ?? []) as { code: string }[]).map((n) => n.code));
    if (status === 200 && body.state === 'valid' && codes.every((code) => named.has(code))) return;
    seen = status === 200 ? `${body.state}, naming ${[...named].join(', ') || 'nobody'}` : `answer ${status}`;
    if (Date.now() > deadline) throw new KitError(`${url} holds no valid trust list naming ${codes.join(', ')} after ${timeoutMs / 1000} s (${seen})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
