import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { KeyObject } from 'node:crypto';
import type { Subscription } from '@nats-io/transport-node';
import {
  keyFingerprint,
  openTrustList,
  provinceOf,
  publicKeyFromBase64url,
  SignedTrustList,
  signTrustList,
  TrustList,
  trustListSuccessionProblem,
  type TrustListState,
  type TrustListView,
} from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { NatsLink } from '../core/nats-link';
import { TrustListRepository } from './trust-list.repository';
import { NodeRegistryRepository } from './node-registry.repository';
import { Wakeup } from '../common/wakeup';
import { Backoff } from '../common/backoff';
import { RequestLimits, senderOfReply } from '../core/nats-request-limits';
import { ExchangeAudit } from '../audit/exchange-audit.service';
import { trustListAdopted } from './trust-audit';

/** What the trust list says of a node's key: trusted, not (yet) in the list, or no valid list at all (fail closed). */
export type TrustedKey =
  /** The node's key, and after a rotation also its previous one (for what it signed before). */
  | { kind: 'trusted'; keys: KeyObject[] }
  /** Not named (yet): a node the province has not heard of, or a list this node has not received. */
  | { kind: 'unlisted'; reason: string }
  /** Named by an earlier list this node held and left out of a later one: revoked. */
  | { kind: 'removed'; reason: string }
  /** No valid list at all: nothing is trusted (fail closed). */
  | { kind: 'untrusted'; reason: string };

export type TrustState = TrustListState;

const MAX_BACKOFF_MS = 30_000;
/** Advisory lock key under which the province's replicas issue trust lists one at a time. */
const TRUST_ISSUE_LOCK = 7_628_920_002;
const QUIET_FAILURE_MS = 30_000;
/** Warn (and show in status) once less than this share of a list's validity is left: an alarm well before expiry. */
const ALARM_SHARE = 0.25;

/**
 * The province's signed trust list at this node (docs/protocol.md, "Node identity").
 * The province issues it: at start, whenever the set of approved nodes changes, and again each
 * quarter of its validity. Every other node fetches it from its parent, when the parent
 * announces a newer one and every TRUST_REFRESH seconds, verifies it with the province's key,
 * keeps the newest, and hands it on to its children. Failures are retried with back-off forever;
 * nothing needs a restart to recover.
 */
@Injectable()
export class TrustListService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TrustList');
  private current: { list: TrustList; keys: Map<string, KeyObject[]> } | undefined;
  /** Nodes an earlier list named and a later one left out, since this process started. */
  private readonly removed = new Map<string, number>();
  private readonly wakeup = new Wakeup();
  private readonly subscriptions: Subscription[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private reissue = false;
  private readonly adoptedListeners: ((list: TrustList) => void)[] = [];
  private alarmed = 0;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly nats: NatsLink,
    private readonly lists: TrustListRepository,
    private readonly registry: NodeRegistryRepository,
    private readonly metrics: MetricsRegistry,
    private readonly audit: ExchangeAudit,
    private readonly requestLimits: RequestLimits,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.logger.log(
      this.isProvince
        ? `this province's key is the federation's trust anchor: TRUST_ANCHOR=${this.config.signingKey.publicKey} (fingerprint ${keyFingerprint(this.config.signingKey.publicKey)}); install it on every node`
        : `trust anchor: province ${this.province}, key fingerprint ${keyFingerprint(this.anchor)}`,
    );
    const stored = await this.lists.stored(this.dataSource.manager);
    if (stored) {
      try {
        this.adopt(openTrustList(stored, publicKeyFromBase64url(this.anchor), this.province));
      } catch (error) {
        // Not signed by the anchor configured now (the anchor was changed, or the row was tampered with): drop it, fetch anew.
        this.logger.warn(`the stored trust list is not usable and is dropped: ${(error as Error).message}`);
        await this.lists.clear(this.dataSource.manager);
      }
    }
    this.running = true;
    this.reissue = this.isProvince;
    this.loop = this.run();
    void this.nats.ready().then(({ nc, names }) => {
      if (!this.running) return;
      // Children ask this node for its copy; any copy will do, since each carries the province's
      // signature. A county has no children (and NATS lets it answer nothing).
      if (this.config.level !== 'county')
        this.subscriptions.push(
          nc.subscribe(names.trust(this.config.code), {
            // One replica of this node answers each request; every replica still hears `trustUpdated` (no group there).
            queue: names.replicaGroup(this.config.code),
            callback: (error, msg) => {
              if (error) return;
              const tooMany = this.requestLimits.refusal('trust-list', senderOfReply(msg.reply));
              if (tooMany) return void msg.respond(JSON.stringify({ error: tooMany }));
              void this.lists.stored(this.dataSource.manager).then(
                (signed) => msg.respond(JSON.stringify(signed ?? { error: `${this.config.code} holds no trust list yet` })),
                () => msg.respond(JSON.stringify({ error: 'the trust list could not be read' })),
              );
            },
          }),
        );
      if (this.config.parentCode) {
        this.subscriptions.push(nc.subscribe(names.trustUpdated(this.config.parentCode), { callback: () => this.wakeup.signal() }));
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.subscriptions.forEach((s) => s.unsubscribe());
    this.wakeup.signal();
    await this.loop;
  }

  /** The keys `code` signs with: the anchor for the province, whatever the list; otherwise the list's. */
  keysOf(code: string): TrustedKey {
    return code === this.province ? { kind: 'trusted', keys: [publicKeyFromBase64url(this.anchor)] } : this.keyOf(code);
  }

  /**
   * An operator drops the list this node holds (one it should not hold, say) and fetches its
   * parent's anew: until then nothing is trusted (fail closed). At the province a new list is issued.
   */
  async reset(by: string, reason: string): Promise<TrustListView> {
    await this.lists.clear(this.dataSource.manager);
    this.current = undefined;
    this.logger.warn(`trust list dropped by ${by}: ${reason}; fetching a new one`);
    this.nodesChanged();
    return this.summary();
  }

  /** The key `code` signs with, by the current list. */
  keyOf(code: string): TrustedKey {
    const state = this.state();
    if (state !== 'valid') {
      return {
        kind: 'untrusted',
        reason: state === 'missing' ? 'this node holds no trust list yet' : `the trust list expired at ${this.current?.list.expiresAt}`,
      };
    }
    const keys = this.current?.keys.get(code);
    if (keys) return { kind: 'trusted', keys };
    const removedIn = this.removed.get(code);
    return removedIn !== undefined
      ? { kind: 'removed', reason: `${code} was revoked: trust list version ${removedIn} left it out` }
      : { kind: 'unlisted', reason: `${code} is not in trust list version ${this.current?.list.version}` };
  }

  state(): TrustState {
    if (!this.current) return 'missing';
    return Date.parse(this.current.list.expiresAt) > Date.now() ? 'valid' : 'expired';
  }

  /** For the status page and the API. */
  summary(): TrustListView {
    const list = this.current?.list;
    const left = list ? Date.parse(list.expiresAt) - Date.now() : null;
    return {
      state: this.state(),
      issuer: this.province,
      version: list?.version ?? null,
      issuedAt: list?.issuedAt ?? null,
      expiresAt: list?.expiresAt ?? null,
      expiresInSeconds: left === null ? null : Math.round(left / 1000),
      alarm: list ? this.nearExpiry(list) : true,
      nodes: list?.nodes ?? [],
    };
  }

  /** Called with every list this node adopts from now on, and at once with the one it holds. */
  onAdopted(listener: (list: TrustList) => void): void {
    this.adoptedListeners.push(listener);
    if (this.current) listener(this.current.list);
  }

  /** At the province: the approved nodes changed, issue a new list soon. Elsewhere: look for one now. */
  nodesChanged(): void {
    if (this.isProvince) this.reissue = true;
    this.wakeup.signal();
  }

  private get province(): string {
    return provinceOf(this.config.code);
  }

  private get isProvince(): boolean {
    return this.config.level === 'province';
  }

  private async run(): Promise<void> {
    const backoff = new Backoff(MAX_BACKOFF_MS);
    let failingSince: number | undefined;
    const refreshMs = this.config.identity.trustRefreshSeconds * 1000;
    while (this.running) {
      let wait = refreshMs;
      try {
        if (this.isProvince) {
          await this.adoptStoredIfNewer();
          const validity = this.config.identity.trustListTtlSeconds * 1000;
          const due = !this.current || this.reissue || Date.parse(this.current.list.issuedAt) + validity / 4 <= Date.now();
          if (due) await this.issue();
          wait = Math.max(100, Math.min(refreshMs, validity / 4));
        } else {
          await this.fetchFromParent();
        }
        this.watchExpiry();
        backoff.reset();
        failingSince = undefined;
      } catch (error) {
        // A node that has just started (not joined, parent not up yet) fails a few times by design:
        // a warning only once it has lasted QUIET_FAILURE_MS; the expiry alarm covers the rest.
        failingSince ??= Date.now();
        const log = Date.now() - failingSince >= QUIET_FAILURE_MS ? 'warn' : 'debug';
        wait = backoff.next();
        this.logger[log](`trust list: ${(error as Error).message}; retrying in ${wait} ms`);
      }
      await this.wakeup.sleep(wait);
    }
  }

  /**
   * At the province: a list another replica of the province issued is this replica's too, so that
   * replicas do not each issue their own every quarter of the validity.
   */
  private async adoptStoredIfNewer(): Promise<void> {
    const stored = await this.lists.stored(this.dataSource.manager);
    if (!stored) return;
    const list = openTrustList(stored, publicKeyFromBase64url(this.anchor), this.province);
    if (this.current && list.version <= this.current.list.version) return;
    this.adopt(list);
    this.logger.log(`trust list version ${list.version}, issued by another replica of this node, adopted`);
  }

  /**
   * Issues the next list. Replicas of the province issue one at a time (a transaction-scoped
   * advisory lock, released by the commit whatever connection of the pool ran it), each reading the
   * version under the lock, so that no version number is ever given to two different lists.
   */
  private async issue(): Promise<void> {
    this.reissue = false;
    const list = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [TRUST_ISSUE_LOCK]);
      const issued = await this.newList(manager);
      await this.lists.store(manager, issued, signTrustList(issued, this.config.signingKey));
      return issued;
    });
    this.adopt(list);
    await this.audit.record(trustListAdopted(this.config.code, list, null));
    this.logger.log(`issued trust list version ${list.version} (${list.nodes.length} nodes, valid until ${list.expiresAt})`);
    await this.announce();
  }

  private async newList(manager: EntityManager): Promise<TrustList> {
    const now = Date.now();
    const list: TrustList = {
      v: 1,
      issuer: this.config.code,
      version: (await this.lists.storedVersion(manager)) + 1,
      issuedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.config.identity.trustListTtlSeconds * 1000).toISOString(),
      nodes: [
        { code: this.config.code, parent: null, name: this.config.name, publicKey: this.config.signingKey.publicKey },
        ...(await this.registry.approvedNodes(manager)),
      ],
    };
    return list;
  }

  private async fetchFromParent(): Promise<void> {
    const parent = this.config.parentCode as string;
    if (!this.nats.isConnected()) throw new Error('NATS is not connected');
    const { nc, names } = await this.nats.ready();
    let answer: unknown;
    try {
      answer = (await nc.request(names.trust(parent), '', { timeout: 5000 })).json();
    } catch (error) {
      throw new Error(`${parent} did not hand out the trust list: ${(error as Error).message}`);
    }
    if ((answer as { error?: string }).error) throw new Error(`${parent}: ${(answer as { error: string }).error}`);
    const list = openTrustList(answer as SignedTrustList, publicKeyFromBase64url(this.anchor), this.province);
    if (this.current && list.version === this.current.list.version && list.issuedAt === this.current.list.issuedAt) return;
    const problem = trustListSuccessionProblem(list, this.current?.list);
    if (problem) {
      // An older list (a replay, or a parent behind this node) is nothing to worry about; a list from the future is.
      if (!this.current || Date.parse(list.issuedAt) > Date.parse(this.current.list.issuedAt))
        this.logger.warn(`refused a trust list from ${parent}: ${problem}`);
      return;
    }
    await this.lists.store(this.dataSource.manager, list, answer as SignedTrustList);
    this.adopt(list);
    await this.audit.record(trustListAdopted(this.config.code, list, parent));
    this.logger.log(`trust list version ${list.version} from ${parent} (${list.nodes.length} nodes, valid until ${list.expiresAt})`);
    await this.announce();
  }

  private adopt(list: TrustList): void {
    const keys = new Map<string, KeyObject[]>();
    for (const node of list.nodes) {
      try {
        keys.set(node.code, [node.publicKey, ...(node.previousPublicKey ? [node.previousPublicKey] : [])].map(publicKeyFromBase64url));
      } catch {
        this.logger.warn(`trust list version ${list.version}: a key of ${node.code} is malformed; not trusted`);
      }
    }
    for (const code of this.current?.keys.keys() ?? []) if (!keys.has(code)) this.removed.set(code, list.version);
    for (const code of keys.keys()) this.removed.delete(code);
    this.current = { list, keys };
    this.metrics.trustListExpiry.set(Date.parse(list.expiresAt) / 1000);
    for (const listener of this.adoptedListeners) {
      try {
        listener(list);
      } catch (error) {
        this.logger.warn(`after adopting trust list version ${list.version}: ${(error as Error).message}`);
      }
    }
  }

  /** Tells the children that a newer list is here, so they need not wait for their next refresh. */
  private async announce(): Promise<void> {
    if (this.config.level === 'county' || !this.nats.isConnected()) return;
    const { nc, names } = await this.nats.ready();
    nc.publish(names.trustUpdated(this.config.code), String(this.current?.list.version ?? 0));
  }

  /** The province's key: configured out of band (TRUST_ANCHOR), never learnt from the network; at the province, its own. */
  private get anchor(): string {
    return this.isProvince ? this.config.signingKey.publicKey : (this.config.identity.trustAnchor as string);
  }

  private nearExpiry(list: TrustList): boolean {
    const issued = Date.parse(list.issuedAt);
    const expires = Date.parse(list.expiresAt);
    return expires - Date.now() < (expires - issued) * ALARM_SHARE;
  }

  private watchExpiry(): void {
    const list = this.current?.list;
    if (!list || !this.nearExpiry(list) || Date.now() - this.alarmed < 60_000) return;
    this.alarmed = Date.now();
    this.logger.warn(
      Date.parse(list.expiresAt) <= Date.now()
        ? `trust list version ${list.version} EXPIRED at ${list.expiresAt}: records and returns signed by other nodes are refused until a newer list arrives`
        : `trust list version ${list.version} expires at ${list.expiresAt} and no newer one has arrived`,
    );
  }
}
