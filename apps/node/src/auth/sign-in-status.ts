import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RefreshTokenRepository } from './refresh-token.repository';

// How long a "still signed in" answer is reused. Sign-out and reuse detection clear it at once in
// this instance; another instance of the same node (behind one load balancer) learns within this.
const LIVE_FOR_MS = 5_000;
// One entry per sign-in seen recently; the oldest go first. Enough for a busy node's active users.
const MAX_ENTRIES = 10_000;

/**
 * Whether the sign-in (refresh-token family) an access token belongs to still stands, so that
 * sign-out and refresh-token reuse end its access tokens at once rather than at their expiry.
 * One indexed read per sign-in every few seconds, not one per request. Belongs to one node.
 */
@Injectable()
export class SignInStatus {
  /** Sign-in id -> until when it counts as live (ms), or 'revoked' (a revoked sign-in never comes back). */
  private readonly known = new Map<string, number | 'revoked'>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly refreshTokens: RefreshTokenRepository,
  ) {}

  async isLive(signInId: string): Promise<boolean> {
    const cached = this.known.get(signInId);
    if (cached === 'revoked') return false;
    if (cached !== undefined && cached > Date.now()) return true;
    const live = await this.refreshTokens.familyLive(this.dataSource.manager, signInId);
    this.remember(signInId, live ? Date.now() + LIVE_FOR_MS : 'revoked');
    return live;
  }

  /** Called once a sign-in's revocation has committed: its access tokens fail from the next request. */
  revoked(signInId: string): void {
    this.remember(signInId, 'revoked');
  }

  private remember(signInId: string, value: number | 'revoked'): void {
    this.known.delete(signInId); // re-inserted last: Map order is the eviction order
    this.known.set(signInId, value);
    if (this.known.size > MAX_ENTRIES) this.known.delete(this.known.keys().next().value as string);
  }
}
