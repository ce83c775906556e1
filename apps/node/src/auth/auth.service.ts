import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { AccountView, SessionView, TokenPairView } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DomainRefusal } from '../common/domain-refusal';
import { NotSignedInError } from '../access/access-errors';
import { AccountRepository, AccountRow } from './account.repository';
import { AuthSettingsRepository } from './auth-settings.repository';
import { hashPassword, verifyPassword } from './passwords';
import { passwordProblem } from '../common/password-policy';
import { effectivePermissions, operatorRoleFor } from '../access/permissions';
import type { Principal } from '../access/principal';
import { RefreshTokenRepository } from './refresh-token.repository';
import { sha256, SessionTokens } from './session-tokens';
import { SignInStatus } from './sign-in-status';

const SETUP_SETTING = 'setup-token-hash';
const WRONG_CREDENTIALS = 'wrong user name or password';
// Serialises the first administrator's creation between instances of one node starting together.
const BOOTSTRAP_LOCK = 7_628_920_001;

export function viewOf(account: AccountRow): AccountView {
  const { id, username, disabled, roles, createdBy, createdAt, updatedAt } = account;
  return { id, username, disabled, roles, createdBy, createdAt, updatedAt };
}

/** Sign-in, refresh, sign-out, the first administrator, and a user's own password. */
@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');
  // Verified when the user name is unknown, so that a wrong name costs as long as a wrong password.
  private readonly decoyHash = hashPassword(randomBytes(16).toString('hex'));

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly accounts: AccountRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly settings: AuthSettingsRepository,
    private readonly tokens: SessionTokens,
    private readonly signIns: SignInStatus,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.ensureFirstAdministrator();
  }

  async login(username: string, password: string): Promise<TokenPairView> {
    const account = await this.accounts.findByUsername(this.dataSource.manager, username.trim().toLowerCase());
    const ok = await verifyPassword(account?.passwordHash ?? (await this.decoyHash), password);
    if (!account || !ok || account.disabled) throw new NotSignedInError(WRONG_CREDENTIALS);
    return this.dataSource.transaction(async (manager) => {
      await this.refreshTokens.deleteExpired(manager);
      return this.tokens.issue(manager, account);
    });
  }

  /**
   * Rotates a refresh token: the presented one is used up and a new one of the same family comes
   * back. A token presented a second time was stolen or replayed: its whole family is revoked.
   */
  async refresh(refreshToken: string): Promise<TokenPairView> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const token = await this.refreshTokens.findForUpdate(manager, sha256(refreshToken));
      if (!token || token.revokedAt) return { refused: 'the refresh token is not valid: sign in again' };
      if (token.usedAt) {
        await this.refreshTokens.revokeFamily(manager, token.familyId);
        this.logger.warn(`a used refresh token was presented again for account ${token.accountId}: that sign-in's tokens are revoked`);
        return { refused: 'the refresh token was already used: every token of that sign-in is revoked; sign in again', revokedSignIn: token.familyId };
      }
      if (token.expiresAt.getTime() <= Date.now()) return { refused: 'the refresh token has expired: sign in again' };
      const account = await this.accounts.findById(manager, token.accountId);
      if (!account || account.disabled) return { refused: 'the refresh token is not valid: sign in again' };
      await this.refreshTokens.markUsed(manager, token.id);
      return { pair: await this.tokens.issue(manager, account, token.familyId) };
    });
    // After commit, so that a family revoked for reuse stays revoked: its access tokens end now.
    if ('revokedSignIn' in outcome && outcome.revokedSignIn) this.signIns.revoked(outcome.revokedSignIn);
    if (!outcome.pair) throw new NotSignedInError(outcome.refused);
    return outcome.pair;
  }

  /** Ends the sign-in the refresh token belongs to; an unknown token changes nothing and is not an error. */
  async logout(refreshToken: string): Promise<void> {
    const signIn = await this.dataSource.transaction(async (manager) => {
      const token = await this.refreshTokens.findForUpdate(manager, sha256(refreshToken));
      if (token) await this.refreshTokens.revokeFamily(manager, token.familyId);
      return token?.familyId;
    });
    // Its access tokens too, from the next request on (not at their expiry).
    if (signIn) this.signIns.revoked(signIn);
  }

  async me(principal: Principal): Promise<SessionView> {
    if (principal.kind !== 'user') throw new NotSignedInError('sign in first');
    const account = await this.accounts.findById(this.dataSource.manager, principal.accountId);
    if (!account) throw new NotSignedInError('sign in first');
    return { ...viewOf(account), node: this.config.code, permissions: effectivePermissions(principal, this.config) };
  }

  async changePassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
    if (principal.kind !== 'user') throw new NotSignedInError('sign in first');
    const account = await this.accounts.findById(this.dataSource.manager, principal.accountId);
    if (!account || !(await verifyPassword(account.passwordHash, currentPassword))) {
      throw DomainRefusal.invalid([{ field: 'currentPassword', messages: ['currentPassword is wrong'] }]);
    }
    assertStrong(newPassword, account.username, 'newPassword');
    const passwordHash = await hashPassword(newPassword);
    const keep = principal.signInId;
    const ended = await this.dataSource.transaction(async (manager) => {
      // The sign-in that made the change goes on (its access and refresh tokens); the others end.
      // A token without a sign-in of this node (another issuer) cannot be kept apart: all end.
      await this.accounts.setPassword(manager, account.id, passwordHash, keep === undefined);
      if (keep === undefined) {
        await this.refreshTokens.revokeAccount(manager, account.id);
        return [];
      }
      return this.refreshTokens.revokeAccountExcept(manager, account.id, keep);
    });
    // After commit: their access tokens fail from the next request here (at other instances of
    // this node within SignInStatus's few seconds, as after a sign-out).
    for (const signIn of ended) this.signIns.revoked(signIn);
  }

  /**
   * First start: with ADMIN_PASSWORD, creates `admin` with this node's operator role; without it,
   * prints a one-time setup token (only its hash is kept) for `POST /api/v1/auth/setup`. Nothing
   * happens once any account exists.
   */
  async ensureFirstAdministrator(): Promise<void> {
    const adminPassword = this.config.auth.adminPassword;
    const adminHash = adminPassword === undefined ? undefined : await hashPassword(adminPassword);
    const setupToken = `tdxs_${randomBytes(24).toString('base64url')}`;
    const outcome = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [BOOTSTRAP_LOCK]);
      if ((await this.accounts.count(manager)) > 0) return 'has-accounts';
      if (adminHash) {
        await this.createAdministrator(manager, adminHash, 'ADMIN_PASSWORD');
        return 'created';
      }
      await this.settings.put(manager, SETUP_SETTING, sha256(setupToken));
      return 'setup-token';
    });
    if (outcome === 'created') this.logger.log(`created the administrator account "admin" (${operatorRoleFor(this.config.level)}) from ADMIN_PASSWORD`);
    if (outcome === 'setup-token') {
      // The only time this token is shown; a restart before the setup replaces it with a new one.
      this.logger.warn(
        `no account exists and ADMIN_PASSWORD is not set. One-time setup token: ${setupToken} ` +
          `- create the administrator with POST /api/v1/auth/setup {"setupToken": "...", "password": "..."}`,
      );
    }
  }

  /** Exchanges the setup token for the administrator account `admin`. */
  async setup(setupToken: string, password: string): Promise<AccountView> {
    assertStrong(password, 'admin', 'password');
    const passwordHash = await hashPassword(password);
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [BOOTSTRAP_LOCK]);
      if ((await this.accounts.count(manager)) > 0) throw DomainRefusal.conflict('this node already has accounts: sign in instead');
      const stored = await this.settings.get(manager, SETUP_SETTING);
      const given = Buffer.from(sha256(setupToken));
      if (!stored || !timingSafeEqual(given, Buffer.from(stored)))
        throw new NotSignedInError('the setup token is not valid (the node prints a new one at each start until setup is done)');
      const account = await this.createAdministrator(manager, passwordHash, 'setup-token');
      await this.settings.delete(manager, SETUP_SETTING);
      return viewOf(account);
    });
  }

  private async createAdministrator(manager: EntityManager, passwordHash: string, createdBy: string): Promise<AccountRow> {
    const id = randomUUID();
    await this.accounts.insert(manager, {
      id,
      username: 'admin',
      passwordHash,
      createdBy,
      roles: [{ role: operatorRoleFor(this.config.level), institutionId: null }],
    });
    return (await this.accounts.findById(manager, id)) as AccountRow;
  }
}

/** 400 naming the field when a new password is too weak. */
export function assertStrong(password: string, username: string, field: string): void {
  const problem = passwordProblem(password, username);
  if (problem) throw DomainRefusal.invalid([{ field, messages: [`${field} ${problem}`] }]);
}
