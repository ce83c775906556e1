import type { TokenPairView } from '@tdx/contracts';
import type { CredentialStore, StoredSession } from './credentials';
import { NotSignedInError, UnreachableError } from './errors';

/** What the node answers to a sign-in or a refresh. */
export type TokenPair = Pick<TokenPairView, 'accessToken' | 'refreshToken' | 'expiresIn'>;

// Refresh a little before expiry, so a token does not run out between the check and the request.
const MARGIN_MS = 30_000;

/**
 * The access token a command sends: the one given with --token / TDX_TOKEN as it is, else the
 * stored `tdx login` session of this node, refreshed when it is (about to be) expired.
 */
export class Session {
  constructor(
    private readonly nodeUrl: string,
    private readonly store: CredentialStore,
    private readonly now: () => number,
    private readonly givenToken?: { token: string; from: string },
  ) {}

  /** The bearer token to send, or undefined when not signed in (the node then says 401). */
  async token(): Promise<string | undefined> {
    if (this.givenToken) return this.givenToken.token;
    const stored = this.store.get(this.nodeUrl);
    if (!stored) return undefined;
    if (stored.expiresAt - MARGIN_MS > this.now()) return stored.accessToken;
    return (await this.refresh(stored)).accessToken;
  }

  /** After a 401: a refreshed token to retry with, or a NotSignedInError saying what to do. */
  async renewAfterRefusal(): Promise<string> {
    if (this.givenToken)
      throw new NotSignedInError(
        `the node refused the access token from ${this.givenToken.from} (expired or revoked): get a new one, or use tdx login`,
        this.nodeUrl,
      );
    const stored = this.store.get(this.nodeUrl);
    if (!stored) throw new NotSignedInError(`not signed in to ${this.nodeUrl}: run tdx login --node ${this.nodeUrl}`, this.nodeUrl);
    return (await this.refresh(stored)).accessToken;
  }

  private async refresh(stored: StoredSession): Promise<StoredSession> {
    let response: Response;
    try {
      response = await fetch(`${this.nodeUrl}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ refreshToken: stored.refreshToken }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new UnreachableError(this.nodeUrl, (error as { cause?: { code?: string } }).cause?.code, error);
    }
    if (!response.ok) {
      await response.text().catch(() => undefined);
      if (response.status >= 500) throw new UnreachableError(this.nodeUrl, `HTTP ${response.status} while refreshing the session`);
      this.store.remove(this.nodeUrl);
      throw new NotSignedInError(
        `the session at ${this.nodeUrl} has ended (signed out, expired or revoked): run tdx login --node ${this.nodeUrl}`,
        this.nodeUrl,
      );
    }
    const pair = (await response.json()) as TokenPair;
    const renewed = { username: stored.username, ...sessionOf(pair, this.now()) };
    this.store.put(this.nodeUrl, renewed);
    return renewed;
  }
}

export function sessionOf(pair: TokenPair, now: number): Omit<StoredSession, 'username'> {
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresAt: now + pair.expiresIn * 1000 };
}
