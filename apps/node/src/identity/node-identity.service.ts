import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type FederationNodeListView, type FederationNodeView, keyFingerprint, type TrustListView } from '@tdx/contracts';
import type { DivisionLevel } from '@tdx/divisions';
import { JoinCandidate, KnownNode, NodeRegistryRepository } from './node-registry.repository';
import { NodeAdmissionService } from './node-admission.service';
import { TrustListService } from './trust-list.service';
import type { NodeListStatus } from './dto/node-identity.dto';

/** The operator's side of node identity: who asks to join, approval, rejection, revocation, and the trust list. */
@Injectable()
export class NodeIdentityService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: NodeRegistryRepository,
    private readonly admission: NodeAdmissionService,
    private readonly trust: TrustListService,
  ) {}

  /** Admitted and revoked nodes, and the joins waiting for a decision (one row per key that asks). */
  async list(status?: NodeListStatus): Promise<FederationNodeListView> {
    const manager = this.dataSource.manager;
    const known = status === 'pending' || status === 'rejected' ? [] : await this.registry.listKnown(manager, status);
    const candidates = status === 'approved' || status === 'revoked' ? [] : await this.registry.candidates(manager, undefined, status);
    return { items: [...known.map(knownView), ...candidates.map(candidateView)].sort((a, b) => a.code.localeCompare(b.code)) };
  }

  async approve(code: string, by: string, publicKey?: string): Promise<FederationNodeView> {
    return knownView(await this.admission.approve(code, by, publicKey));
  }

  async reject(code: string, by: string, reason: string, publicKey?: string): Promise<FederationNodeView> {
    return candidateView(await this.admission.reject(code, by, reason, publicKey));
  }

  async revoke(code: string, by: string, reason: string): Promise<FederationNodeView> {
    return knownView(await this.admission.revoke(code, by, reason));
  }

  trustList(): TrustListView {
    return this.trust.summary();
  }

  resetTrustList(by: string, reason: string): Promise<TrustListView> {
    return this.trust.reset(by, reason);
  }
}

function iso(value: string | null): string | null {
  return value ? new Date(value).toISOString() : null;
}

function knownView(n: KnownNode): FederationNodeView {
  return {
    code: n.code,
    name: n.name,
    level: n.level as DivisionLevel,
    parentCode: n.parentCode,
    via: n.via,
    publicKey: n.publicKey,
    fingerprint: keyFingerprint(n.publicKey),
    previousPublicKey: n.previousPublicKey,
    status: n.status,
    joinedAt: iso(n.joinedAt),
    decidedAt: iso(n.decidedAt),
    decidedBy: n.decidedBy,
    reason: n.reason,
  };
}

function candidateView(c: JoinCandidate): FederationNodeView {
  return {
    code: c.code,
    name: c.name,
    level: c.level as DivisionLevel,
    parentCode: null,
    via: c.code,
    publicKey: c.publicKey,
    fingerprint: keyFingerprint(c.publicKey),
    previousPublicKey: null,
    status: c.status,
    joinedAt: iso(c.firstSeen),
    decidedAt: iso(c.decidedAt),
    decidedBy: c.decidedBy,
    reason: c.reason,
    lastSeen: iso(c.lastSeen),
    attempts: c.attempts,
    source: c.subject,
  };
}
