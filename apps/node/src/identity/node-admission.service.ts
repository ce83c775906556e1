import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { isDirectChild } from '@tdx/divisions';
import { Envelope, JoinBody, JoinReply, keyFingerprint, NodeApprovalBody, NodeRevocationBody } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DomainRefusal } from '../common/domain-refusal';
import { OutboxRepository } from '../outbox/outbox.repository';
import { OutboxSignal } from '../outbox/outbox-signal';
import { JoinCandidate, KnownNode, NodeRegistryRepository } from './node-registry.repository';
import { isRotationOf } from './key-rotation';
import { TrustListService } from './trust-list.service';

/** What a join, an approval or a revocation from below did here. */
export type AdmissionOutcome = { kind: 'applied' } | { kind: 'skipped' } | { kind: 'rejected'; reason: string };

/** An operator's decision here: `code` admitted (again) or revoked; `direct` for a direct child. */
export interface AdmissionChange {
  code: string;
  admitted: boolean;
  direct: boolean;
}

/** The answer to a direct child's join, and whether the child is admitted (its worker should run). */
export interface JoinDecision {
  reply: JoinReply;
  admitted: boolean;
  /** The set of admitted keys changed (a first admission, a rotation): the trust list should follow. */
  changed: boolean;
}

/**
 * Who is admitted below this node, and on whose word (docs/protocol.md, "Node identity"). A direct
 * child is admitted only by an operator here (or JOIN_APPROVAL=auto), and this node then signs a
 * `node.approval` naming the child's code and key, which rises to every ancestor. An ancestor
 * admits a node only on that approval, verified with the parent's key as the trust list names it,
 * so every admission chains up to the province's anchor. Revocations rise the same way; a key an
 * operator here revoked is re-admitted only by an operator here.
 */
@Injectable()
export class NodeAdmissionService implements OnApplicationBootstrap {
  private readonly logger = new Logger('NodeAdmission');
  /** Nodes revoked here: nothing they sign is applied, whatever the trust list says. */
  private readonly refused = new Set<string>();
  private readonly listeners: ((change: AdmissionChange) => Promise<void> | void)[] = [];

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly registry: NodeRegistryRepository,
    private readonly outbox: OutboxRepository,
    private readonly signal: OutboxSignal,
    private readonly trust: TrustListService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reloadRevoked();
  }

  /**
   * Reads the nodes revoked here from the database again: with several replicas of this node, a
   * revocation taken through another replica counts here too (the child links call this every
   * lease period).
   */
  async reloadRevoked(): Promise<void> {
    const revoked = await this.registry.listKnown(this.dataSource.manager, 'revoked');
    for (const node of revoked) this.refused.add(node.code);
    const codes = new Set(revoked.map((node) => node.code));
    for (const code of this.refused) if (!codes.has(code)) this.refused.delete(code);
  }

  isRefusedHere(code: string): boolean {
    return this.refused.has(code);
  }

  /**
   * Told of every decision an operator takes here, after its commit (the links start or stop the
   * child's worker): identity decides, and does not need to know who acts on it.
   */
  onChange(listener: (change: AdmissionChange) => Promise<void> | void): void {
    this.listeners.push(listener);
  }

  private async announce(change: AdmissionChange): Promise<void> {
    for (const listener of this.listeners) await listener(change);
  }

  /** A direct child's join whose signature, sender and freshness the caller checked. */
  async decideJoin(body: JoinBody, joinText: string, subject: string): Promise<JoinDecision> {
    const here = this.config.code;
    const fingerprint = keyFingerprint(body.publicKey);
    const decision = await this.dataSource.transaction(async (manager): Promise<JoinDecision> => {
      const known = await this.registry.knownNode(manager, body.code, true);
      if (known?.status === 'approved' && known.publicKey === body.publicKey) return { reply: this.welcome(), admitted: true, changed: false };
      if (known && isRotationOf(known, body)) {
        // The old key signed the hand-over to the new one: no operator needed, and the ancestors learn it from this node's approval.
        await this.admitAndAnnounce(manager, { ...body, previousPublicKey: known.publicKey }, `rotation signed by the previous key`);
        return { reply: this.welcome(), admitted: true, changed: true };
      }
      const revoked = await this.registry.revokedKey(manager, body.code, body.publicKey);
      if (!known && !revoked && this.config.identity.joinApproval === 'auto') {
        await this.admitAndAnnounce(manager, body, 'JOIN_APPROVAL=auto');
        return { reply: this.welcome(), admitted: true, changed: true };
      }
      // Every other join is a candidate: kept per code and key, so that a squatter's join never blocks the genuine node's.
      const candidate = await this.registry.recordCandidate(manager, body, joinText, subject);
      if (revoked) {
        return {
          reply: {
            ok: false,
            reason: `key ${fingerprint} of ${body.code} was revoked at ${here}${revoked.reason ? `: ${revoked.reason}` : ''}; an operator at ${here} must approve it again`,
          },
          admitted: false,
          changed: false,
        };
      }
      if (candidate.status === 'rejected') {
        return {
          reply: {
            ok: false,
            reason: `the join of ${body.code} with key ${fingerprint} was rejected at ${here}${candidate.reason ? `: ${candidate.reason}` : ''}`,
          },
          admitted: false,
          changed: false,
        };
      }
      const why = known
        ? `${body.code} presents key ${fingerprint}, not the key recorded for it; it waits for an operator at ${here}`
        : `${body.code} waits for an operator at ${here} to approve its join (key ${fingerprint})`;
      return { reply: { ok: false, pending: true, reason: why }, admitted: false, changed: false };
    });
    if (decision.changed) this.afterChange(body.code, false);
    return decision;
  }

  /**
   * An operator approves a join: a candidate's key (`publicKey` names it when several keys ask for
   * one code), or again the key of a node revoked here. For a node below a direct child, only a
   * revocation made here can be lifted here; its key is otherwise its parent's to approve.
   */
  async approve(code: string, by: string, publicKey?: string): Promise<KnownNode> {
    await this.dataSource.transaction(async (manager) => {
      const known = await this.registry.knownNode(manager, code, true);
      if (!isDirectChild(code, this.config.code)) return this.reinstate(manager, code, known, by, publicKey);
      const candidates = (await this.registry.candidates(manager, code)).filter((c) => !publicKey || c.publicKey === publicKey);
      if (candidates.length === 0) {
        if (!known || (publicKey && known.publicKey !== publicKey))
          throw DomainRefusal.notFound(`no join of ${code}${publicKey ? ` with key ${keyFingerprint(publicKey)}` : ''} waits at ${this.config.code}`);
        if (known.status === 'approved') throw DomainRefusal.conflict(`${code} is approved already`);
        await this.admitAndAnnounce(manager, { code, name: known.name, level: known.level, parent: this.config.code, publicKey: known.publicKey }, by);
        return;
      }
      if (candidates.length > 1) throw this.choose(code, candidates);
      const [candidate] = candidates;
      if (known?.status === 'approved' && known.publicKey !== candidate.publicKey) {
        // The operator replaces the node's key: the old one is revoked here, for good.
        await this.registry.revoke(manager, code, known.publicKey, by, `replaced by key ${keyFingerprint(candidate.publicKey)}`, true);
        await this.outbox.appendLocal(
          manager,
          'node.revocation',
          this.revocationOf(code, known.publicKey, `replaced by key ${keyFingerprint(candidate.publicKey)}`),
        );
      }
      await this.admitAndAnnounce(
        manager,
        { code, name: candidate.name, level: candidate.level, parent: this.config.code, publicKey: candidate.publicKey },
        by,
      );
      await this.registry.removeCandidate(manager, code, candidate.publicKey);
    });
    this.afterChange(code, false);
    this.logger.log(`${code} approved by ${by}`);
    const node = (await this.registry.knownNode(this.dataSource.manager, code)) as KnownNode;
    await this.announce({ code, admitted: true, direct: node.via === node.code });
    return node;
  }

  /** An operator rejects a pending join (one key of it, when several keys ask for the code). */
  async reject(code: string, by: string, reason: string, publicKey?: string): Promise<JoinCandidate> {
    return this.dataSource.transaction(async (manager) => {
      const pending = (await this.registry.candidates(manager, code, 'pending')).filter((c) => !publicKey || c.publicKey === publicKey);
      if (pending.length === 0)
        throw DomainRefusal.conflict(`no join of ${code}${publicKey ? ` with key ${keyFingerprint(publicKey)}` : ''} is pending at ${this.config.code}`);
      if (pending.length > 1) throw this.choose(code, pending);
      await this.registry.rejectCandidate(manager, code, pending[0].publicKey, by, reason);
      this.logger.warn(`join of ${code} with key ${keyFingerprint(pending[0].publicKey)} rejected by ${by}: ${reason}`);
      return { ...pending[0], status: 'rejected' as const, reason, decidedBy: by };
    });
  }

  /** Nothing `code` signs is accepted here from now on; its parent's revocation also rises to the ancestors. */
  async revoke(code: string, by: string, reason: string): Promise<KnownNode> {
    await this.dataSource.transaction(async (manager) => {
      const known = await this.registry.knownNode(manager, code, true);
      if (!known) throw DomainRefusal.notFound(`${code} is not admitted below ${this.config.code}`);
      if (known.status === 'revoked') throw DomainRefusal.conflict(`${code} is revoked already`);
      for (const key of [known.publicKey, ...(known.previousPublicKey ? [known.previousPublicKey] : [])]) {
        await this.registry.revoke(manager, code, key, by, reason, true);
        if (isDirectChild(code, this.config.code)) await this.outbox.appendLocal(manager, 'node.revocation', this.revocationOf(code, key, reason));
      }
    });
    this.afterChange(code, true);
    this.logger.warn(`${code} revoked by ${by}: ${reason}`);
    await this.announce({ code, admitted: false, direct: isDirectChild(code, this.config.code) });
    return (await this.registry.knownNode(this.dataSource.manager, code)) as KnownNode;
  }

  /**
   * A parent's signed approval from below (the caller verified its signature with the parent's
   * trust-list key and the record's attribution). Applied in the caller's batch transaction.
   */
  async applyApproval(manager: EntityManager, via: string, seq: number, body: NodeApprovalBody, envelope: Envelope): Promise<AdmissionOutcome> {
    if (seq <= (await this.registry.lastParentDecision(manager, body.code))) return { kind: 'skipped' };
    const revoked = await this.registry.revokedKey(manager, body.code, body.publicKey);
    if (revoked?.decidedHere) {
      return {
        kind: 'rejected',
        reason: `key ${keyFingerprint(body.publicKey)} of ${body.code} was revoked at ${this.config.code}; only an operator here admits it again`,
      };
    }
    const known = await this.registry.knownNode(manager, body.code, true);
    const rotation = known?.status === 'approved' && body.previousPublicKey === known.publicKey;
    if (known && known.publicKey !== body.publicKey && known.status === 'approved' && !rotation) {
      // The parent replaced the node's key: the old one is no longer the node's.
      await this.registry.revoke(manager, body.code, known.publicKey, `replaced at ${body.parent}`, 'the parent approved another key', false, seq);
    }
    await this.registry.admit(manager, { ...body, previousPublicKey: rotation ? body.previousPublicKey : null }, via, `approved at ${body.parent}`, {
      envelope,
      seq,
    });
    this.refused.delete(body.code);
    return { kind: 'applied' };
  }

  /** A parent's signed revocation from below. */
  async applyRevocation(manager: EntityManager, seq: number, body: NodeRevocationBody): Promise<AdmissionOutcome> {
    if (seq <= (await this.registry.lastParentDecision(manager, body.code))) return { kind: 'skipped' };
    const known = await this.registry.knownNode(manager, body.code, true);
    await this.registry.revoke(manager, body.code, body.publicKey, `revoked at ${body.parent}`, body.reason, false, seq);
    if (known?.publicKey === body.publicKey) this.refused.add(body.code);
    return { kind: 'applied' };
  }

  /** After a commit that changed who is admitted here. */
  afterChange(code: string, refused: boolean): void {
    if (refused) this.refused.add(code);
    else this.refused.delete(code);
    this.signal.notify();
    this.trust.nodesChanged();
  }

  private async reinstate(manager: EntityManager, code: string, known: KnownNode | undefined, by: string, publicKey?: string): Promise<void> {
    if (!known) throw DomainRefusal.notFound(`no node ${code} is known below ${this.config.code}`);
    if (known.status === 'approved') throw DomainRefusal.conflict(`${code} is approved already`);
    if (publicKey && publicKey !== known.publicKey) throw DomainRefusal.notFound(`${code}'s recorded key is not ${keyFingerprint(publicKey)}`);
    const revoked = await this.registry.revokedKey(manager, code, known.publicKey);
    if (!revoked?.decidedHere || !known.approvalEnvelope) {
      throw DomainRefusal.refused([
        {
          rule: 'not-a-direct-child',
          article: 'Article 9',
          message: `${code} was admitted on the word of ${known.parentCode}; its key is approved or revoked there`,
        },
      ]);
    }
    // Lifts this node's own revocation; the node's parent still vouches for the key (its approval is kept).
    await this.registry.admit(
      manager,
      { code, name: known.name, level: known.level, parent: known.parentCode, publicKey: known.publicKey, previousPublicKey: known.previousPublicKey },
      known.via,
      by,
      null,
    );
  }

  private async admitAndAnnounce(
    manager: EntityManager,
    node: { code: string; name: string; level: string; parent: string; publicKey: string; previousPublicKey?: string | null },
    by: string,
  ): Promise<void> {
    await this.registry.admit(manager, node, node.code, by, null);
    const approval: NodeApprovalBody = {
      code: node.code,
      name: node.name,
      level: node.level as NodeApprovalBody['level'],
      parent: this.config.code,
      publicKey: node.publicKey,
      ...(node.previousPublicKey ? { previousPublicKey: node.previousPublicKey } : {}),
      approvedAt: new Date().toISOString(),
    };
    await this.outbox.appendLocal(manager, 'node.approval', approval);
  }

  private revocationOf(code: string, publicKey: string, reason: string): NodeRevocationBody {
    return { code, parent: this.config.code, publicKey, reason, revokedAt: new Date().toISOString() };
  }

  private welcome(): JoinReply {
    return { ok: true, parent: { code: this.config.code, name: this.config.name, publicKey: this.config.signingKey.publicKey } };
  }

  private choose(code: string, candidates: JoinCandidate[]): DomainRefusal {
    return DomainRefusal.conflict(
      `${candidates.length} keys ask to join as ${code}; name the one to decide with publicKey: ${candidates
        .map((c) => `${keyFingerprint(c.publicKey)} (${c.publicKey}, ${c.attempts} attempts, last ${new Date(c.lastSeen).toISOString()})`)
        .join('; ')}`,
    );
  }
}
