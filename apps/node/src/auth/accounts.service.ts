import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { cursors } from '../common/cursor';
import { Page, pageOf } from '../common/paging';
import { DomainRefusal } from '../common/domain-refusal';
import { isUniqueViolation } from '../common/unique-violation';
import { InstitutionRepository } from '../institutions/institution.repository';
import { NotAllowedError } from '../access/access-errors';
import { AccountRepository, AccountRole, AccountRow } from './account.repository';
import type { AccountView } from '@tdx/contracts';
import { assertStrong, viewOf } from './auth.service';
import type { CreateAccountDto, RoleGrantDto } from './dto/accounts.dto';
import { InstitutionScope } from '../catalog/institution-scope';
import { hashPassword } from './passwords';
import { isInstitutionRole, isOperatorRole, operatorRoleFor } from '../access/permissions';
import type { Principal } from '../access/principal';
import { RefreshTokenRepository } from './refresh-token.repository';

/**
 * Accounts of this node. The operator manages every account; an institution admin manages only
 * institution-user accounts of its own institution (created, listed, disabled, reset by it).
 */
@Injectable()
export class AccountsService {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly accounts: AccountRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly institutions: InstitutionRepository,
    private readonly scope: InstitutionScope,
  ) {}

  async create(actor: Principal, dto: CreateAccountDto): Promise<AccountView> {
    const roles = this.normalise(dto.roles);
    assertStrong(dto.password, dto.username, 'password');
    const passwordHash = await hashPassword(dto.password);
    const id = randomUUID();
    return this.dataSource
      .transaction(async (manager) => {
        this.assertMayGrant(actor, roles);
        await this.assertRolesValid(manager, roles);
        if (await this.accounts.findByUsername(manager, dto.username)) throw this.usernameTaken(dto.username);
        await this.accounts.insert(manager, { id, username: dto.username, passwordHash, createdBy: actorName(actor), roles });
        return viewOf((await this.accounts.findById(manager, id)) as AccountRow);
      })
      .catch((error: unknown) => {
        if (isUniqueViolation(error, 'account_username')) throw this.usernameTaken(dto.username);
        throw error;
      });
  }

  async list(actor: Principal, query: { limit: number; cursor?: string }): Promise<Page<AccountView>> {
    const allowed = this.managedInstitutions(actor);
    if (allowed !== 'all' && allowed.size === 0) return { items: [], nextCursor: null };
    const institutionIds = allowed === 'all' ? undefined : [...allowed];
    const rows = await this.accounts.list(this.dataSource.manager, { afterSeq: cursors.seq(query.cursor), limit: query.limit, institutionIds });
    const items = rows.filter((row) => this.mayManage(actor, row));
    const last = rows[rows.length - 1];
    return pageOf(items.map(viewOf), query.limit, last && cursors.ofSeq(last.rowSeq), rows.length);
  }

  async get(actor: Principal, id: string): Promise<AccountView> {
    return viewOf(await this.managed(this.dataSource.manager, actor, id));
  }

  async setDisabled(actor: Principal, id: string, disabled: boolean): Promise<AccountView> {
    return this.dataSource.transaction(async (manager) => {
      const account = await this.managed(manager, actor, id, true);
      if (disabled) {
        await this.assertNotLastOperator(manager, account);
        await this.refreshTokens.revokeAccount(manager, id);
      }
      await this.accounts.setDisabled(manager, id, disabled);
      return viewOf((await this.accounts.findById(manager, id)) as AccountRow);
    });
  }

  async resetPassword(actor: Principal, id: string, password: string): Promise<AccountView> {
    const account = await this.managed(this.dataSource.manager, actor, id);
    assertStrong(password, account.username, 'password');
    const passwordHash = await hashPassword(password);
    return this.dataSource.transaction(async (manager) => {
      await this.managed(manager, actor, id, true);
      await this.accounts.setPassword(manager, id, passwordHash);
      await this.refreshTokens.revokeAccount(manager, id);
      return viewOf((await this.accounts.findById(manager, id)) as AccountRow);
    });
  }

  /** Replaces an account's roles (the operator only: institution admins cannot promote anyone). */
  async setRoles(actor: Principal, id: string, grants: RoleGrantDto[]): Promise<AccountView> {
    const roles = this.normalise(grants);
    if (this.managedInstitutions(actor) !== 'all') throw new NotAllowedError("only the node's operator changes roles");
    return this.dataSource.transaction(async (manager) => {
      const account = await this.managed(manager, actor, id, true);
      await this.assertRolesValid(manager, roles);
      const operator = operatorRoleFor(this.config.level);
      if (account.roles.some((r) => r.role === operator) && !roles.some((r) => r.role === operator)) await this.assertNotLastOperator(manager, account);
      await this.accounts.replaceRoles(manager, id, roles);
      return viewOf((await this.accounts.findById(manager, id)) as AccountRow);
    });
  }

  private normalise(grants: RoleGrantDto[]): AccountRole[] {
    const unique = new Map(
      grants.map((g) => [`${g.role}:${g.institutionId?.toLowerCase() ?? ''}`, { role: g.role, institutionId: g.institutionId?.toLowerCase() ?? null }]),
    );
    return [...unique.values()];
  }

  /** 'all' for the operator, else the institutions whose users this institution admin manages. */
  private managedInstitutions(actor: Principal): 'all' | Set<string> {
    return this.scope.institutionsOf(actor, 'write');
  }

  /** An institution admin manages accounts whose every role is institution-user of one of its institutions. */
  private mayManage(actor: Principal, account: AccountRow): boolean {
    const allowed = this.managedInstitutions(actor);
    if (allowed === 'all') return true;
    return account.roles.length > 0 && account.roles.every((r) => r.role === 'institution-user' && r.institutionId !== null && allowed.has(r.institutionId));
  }

  /** The account, or 404 when it does not exist or lies outside what the actor manages (no probing). */
  private async managed(manager: EntityManager, actor: Principal, id: string, forUpdate = false): Promise<AccountRow> {
    const account = await this.accounts.findById(manager, id, forUpdate);
    if (!account || !this.mayManage(actor, account)) throw DomainRefusal.notFound(`no account ${id} that you manage at this node`);
    return account;
  }

  private assertMayGrant(actor: Principal, roles: AccountRole[]): void {
    const allowed = this.managedInstitutions(actor);
    if (allowed === 'all') return;
    const outside = roles.filter((r) => r.role !== 'institution-user' || r.institutionId === null || !allowed.has(r.institutionId));
    if (outside.length > 0) throw new NotAllowedError('an institution admin grants only institution-user of its own institution');
  }

  /** 422 for a grant the regulation's tiers or this node's institutions do not allow. */
  private async assertRolesValid(manager: EntityManager, roles: AccountRole[]): Promise<void> {
    const operator = operatorRoleFor(this.config.level);
    const refusals = [];
    for (const r of roles) {
      if (isOperatorRole(r.role) && r.role !== operator) {
        refusals.push({
          rule: 'operator-role-of-this-tier',
          article: 'Article 9',
          message: `${r.role} is not the operator role of a ${this.config.level} node (that is ${operator})`,
        });
      }
      if (isInstitutionRole(r.role) && r.institutionId === null) {
        refusals.push({ rule: 'institution-role-needs-institution', article: 'Article 6', message: `${r.role} needs institutionId` });
      }
      if (!isInstitutionRole(r.role) && r.institutionId !== null) {
        refusals.push({ rule: 'institution-only-for-institution-roles', article: 'Article 6', message: `${r.role} takes no institutionId` });
      }
    }
    const ids = [...new Set(roles.map((r) => r.institutionId).filter((id): id is string => id !== null))];
    const local = await this.institutions.activeLocalIds(manager, this.config.code, ids);
    for (const id of ids.filter((i) => !local.has(i))) {
      refusals.push({
        rule: 'institution-not-local',
        article: 'Articles 3 and 6',
        message: `institution ${id} is not an active institution registered at this node`,
      });
    }
    if (refusals.length > 0) throw DomainRefusal.refused(refusals);
  }

  /** A node keeps at least one enabled operator, or nobody could administer it any more. */
  private async assertNotLastOperator(manager: EntityManager, account: AccountRow): Promise<void> {
    const operator = operatorRoleFor(this.config.level);
    if (!account.roles.some((r) => r.role === operator)) return;
    await manager.query(`SELECT pg_advisory_xact_lock(7628920002)`);
    if ((await this.accounts.countEnabledWithRole(manager, operator, account.id)) === 0) {
      throw DomainRefusal.refused([
        { rule: 'last-operator', article: 'Article 9', message: `${account.username} is the last enabled ${operator} of this node` },
      ]);
    }
  }

  private usernameTaken(username: string): DomainRefusal {
    return DomainRefusal.conflict(`an account named ${username} already exists at this node`, 'username');
  }
}

function actorName(actor: Principal): string {
  return actor.kind === 'user' ? actor.subject : 'anonymous';
}
