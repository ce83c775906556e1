import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { CatalogEntryRepository } from './catalog-entry.repository';
import { NotAllowedError } from '../access/access-errors';
import { effectiveGrants, isOperatorRole } from '../access/permissions';
import type { Principal } from '../access/principal';

/**
 * Institution staff act only on their own institution's resources (catalog entries whose provider
 * it is, and their dataset content); the node's operator acts on all. The guard has checked the
 * permission; this checks the scope, once the resource's provider is known.
 */
@Injectable()
export class InstitutionScope {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly entries: CatalogEntryRepository,
  ) {}

  /** 'all' for the operator (and for calls made by the node itself), else the institutions the principal may act for. */
  institutionsOf(principal: Principal | undefined, access: 'read' | 'write'): 'all' | Set<string> {
    if (principal === undefined) return 'all';
    const grants = effectiveGrants(principal, this.config);
    if (grants.some((g) => isOperatorRole(g.role))) return 'all';
    const roles = access === 'write' ? ['institution-admin'] : ['institution-admin', 'institution-user'];
    return new Set(grants.filter((g) => roles.includes(g.role) && g.institutionId).map((g) => g.institutionId as string));
  }

  /** Throws 403 unless the principal may act for `institutionId` (undefined: no principal, the node itself). */
  assertMayActFor(principal: Principal | undefined, institutionId: string, access: 'read' | 'write'): void {
    const allowed = this.institutionsOf(principal, access);
    if (allowed !== 'all' && !allowed.has(institutionId.toLowerCase())) {
      throw new NotAllowedError(
        `institution staff ${access === 'write' ? 'manage' : 'read'} only their own institution's resources; this one is provided by institution ${institutionId}`,
      );
    }
  }

  /** The same for a catalog entry's content, by its provider; an unknown entry is left to the caller's 404. */
  async assertMayActForEntry(principal: Principal, entryId: string, access: 'read' | 'write'): Promise<void> {
    if (this.institutionsOf(principal, access) === 'all') return;
    const entry = await this.entries.findById(this.dataSource.manager, entryId);
    if (entry) this.assertMayActFor(principal, entry.providerId, access);
  }
}
