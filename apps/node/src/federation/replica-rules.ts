import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { EntryState } from '@tdx/contracts';
import { refusalsFor } from '../catalog/catalog-rules';
import type { Refusal } from '../common/domain-refusal';
import { InstitutionRepository } from '../institutions/institution.repository';

/** What the catalog rules say of a received entry version. */
export type ReplicaVerdict =
  | { kind: 'ok' }
  | { kind: 'refused'; refusals: Refusal[] }
  /** Its provider is not here yet: the record waits (bounded), since the institution's record may still be on its way. */
  | { kind: 'wait'; reason: string };

/** An entry version as received: a state, and possibly a state-secret declaration that the origin's API would have refused. */
type ReceivedEntry = EntryState & { stateSecret?: boolean };

/**
 * The catalog rules the origin applied to a registration, applied again to a received version:
 * a tier never takes its descendants' word for them. The rules are the origin's own
 * (`refusalsFor`, judged from the origin's place in the tree); only the provider rule differs in
 * form: the provider must be an institution this node holds that was registered at the entry's
 * origin, in any status, since the origin may have retired it after registering the entry.
 */
export function replicaVerdict(entry: ReceivedEntry, providerOrigin: string | undefined): ReplicaVerdict {
  const refusals = refusalsFor(entry, { nodeCode: entry.origin, providerIsLocal: true, stateSecret: entry.stateSecret === true });
  if (providerOrigin !== undefined && providerOrigin !== entry.origin) {
    refusals.push({
      rule: 'provider-not-local',
      article: 'Articles 3 and 6',
      message: `provider ${entry.providerId} is an institution of ${providerOrigin}, not of the entry's origin ${entry.origin}`,
    });
  }
  if (refusals.length > 0) return { kind: 'refused', refusals };
  if (providerOrigin === undefined) return { kind: 'wait', reason: `provider ${entry.providerId} of entry ${entry.id} is not known here (yet)` };
  return { kind: 'ok' };
}

/** The refusal recorded when a provider never arrived. */
export function providerNeverArrived(entry: EntryState): Refusal {
  return {
    rule: 'provider-not-local',
    article: 'Articles 3 and 6',
    message: `provider ${entry.providerId} is not an institution registered at the entry's origin ${entry.origin}`,
  };
}

/** Looks up providers for `replicaVerdict`, once per transaction and provider. */
@Injectable()
export class ReplicaRules {
  /**
   * Provider id -> its origin, per transaction: a batch of a county's entries names a handful of
   * providers, so the lookups cost a handful of queries, not one per entry. Only institutions found
   * are cached (institutions are never deleted and never change origin), and only for the
   * transaction that saw them, so a rolled-back batch leaves nothing behind.
   */
  private readonly providers = new WeakMap<EntityManager, Map<string, string>>();

  constructor(private readonly institutions: InstitutionRepository) {}

  async verdict(manager: EntityManager, entry: ReceivedEntry): Promise<ReplicaVerdict> {
    return replicaVerdict(entry, await this.providerOrigin(manager, entry.providerId.toLowerCase()));
  }

  private async providerOrigin(manager: EntityManager, id: string): Promise<string | undefined> {
    let known = this.providers.get(manager);
    if (!known) this.providers.set(manager, (known = new Map()));
    const cached = known.get(id);
    if (cached) return cached;
    const origin = await this.institutions.originOf(manager, id);
    if (origin) known.set(id, origin);
    return origin;
  }
}
