import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { TokenPairView } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { AccessClaims, signAccessToken, verifyAccessToken } from './access-token';
import { AccountRepository, AccountRow } from './account.repository';
import { AuthSettingsRepository } from './auth-settings.repository';
import type { Principal } from '../access/principal';
import { RefreshTokenRepository } from './refresh-token.repository';
import { SignInStatus } from './sign-in-status';

/**
 * Turns a bearer token into the principal it stands for, or undefined. The global guard needs
 * only this: an OIDC deployment provides another implementation under the same token (see the
 * operator guide, "Single sign-on (OIDC)").
 */
export interface AccessTokenVerifier {
  principalFor(bearer: string): Promise<Principal | undefined>;
}
export const ACCESS_TOKEN_VERIFIER = Symbol('ACCESS_TOKEN_VERIFIER');

const SECRET_SETTING = 'access-token-secret';
const UUID = /^[0-9a-f-]{36}$/;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Issues and verifies this node's tokens. The signing secret is made at first start and kept in the
 * node's database, so that several instances of one node behind a load balancer share it and no
 * secret sits in configuration.
 */
@Injectable()
export class SessionTokens implements AccessTokenVerifier, OnModuleInit {
  private secret: Buffer | undefined;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly accounts: AccountRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly settings: AuthSettingsRepository,
    private readonly signIns: SignInStatus,
  ) {}

  async onModuleInit(): Promise<void> {
    const value = await this.settings.getOrCreate(this.dataSource.manager, SECRET_SETTING, randomBytes(32).toString('base64'));
    this.secret = Buffer.from(value, 'base64');
  }

  private get issuer(): string {
    return `tdx:${this.config.code}`;
  }

  /** A new access token and a refresh token of `familyId` (a new family for a new sign-in). */
  async issue(manager: EntityManager, account: AccountRow, familyId: string = randomUUID()): Promise<TokenPairView> {
    // NumericDate may have a fraction (RFC 7519): milliseconds, so that a reset a moment later still voids this token.
    const now = Date.now() / 1000;
    const ttl = this.config.auth.accessTokenTtlSeconds;
    const claims: AccessClaims = {
      sub: account.id,
      name: account.username,
      iss: this.issuer,
      aud: this.issuer,
      iat: now,
      exp: now + ttl,
      jti: randomUUID(),
      sid: familyId,
      typ: 'access',
    };
    const refreshToken = `tdxr_${randomBytes(32).toString('base64url')}`;
    await this.refreshTokens.insert(manager, {
      id: randomUUID(),
      familyId,
      accountId: account.id,
      tokenHash: sha256(refreshToken),
      ttlSeconds: this.config.auth.refreshTokenTtlSeconds,
    });
    return { accessToken: signAccessToken(claims, this.requireSecret()), refreshToken, tokenType: 'Bearer', expiresIn: ttl };
  }

  /** The account behind a valid access token, read afresh: a disabled account or changed roles count at once. */
  async principalFor(bearer: string): Promise<Principal | undefined> {
    const claims = verifyAccessToken(bearer, this.requireSecret(), this.issuer, Date.now() / 1000);
    if (!claims || !UUID.test(claims.sub) || !UUID.test(claims.sid)) return undefined;
    // A token of a sign-in that was ended (sign-out, a reused refresh token) is void at once.
    if (!(await this.signIns.isLive(claims.sid))) return undefined;
    const account = await this.accounts.findById(this.dataSource.manager, claims.sub);
    // A token issued before a password reset or a disable is void.
    if (!account || account.disabled || claims.iat * 1000 < account.sessionsValidAfter.getTime()) return undefined;
    return {
      kind: 'user',
      subject: account.username,
      accountId: account.id,
      signInId: claims.sid,
      roles: account.roles.map((r) => ({ role: r.role, node: this.config.code, ...(r.institutionId ? { institutionId: r.institutionId } : {}) })),
    };
  }

  private requireSecret(): Buffer {
    if (!this.secret) throw new Error('session tokens used before the module was initialised');
    return this.secret;
  }
}
