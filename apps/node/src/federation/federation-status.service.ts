import { Inject, Injectable } from '@nestjs/common';
import { keyFingerprint } from '@tdx/contracts';
import type { ChildLinkView, FederationDigestView, FederationNodeState, FederationStatusView, PendingJoinView } from '@tdx/contracts';
import type { DivisionLevel } from '@tdx/divisions';
import { DataSource, EntityManager } from 'typeorm';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { ChildLinksService } from './child-links.service';
import { LinkStateRepository } from './link-state.repository';
import { NodeRegistryRepository } from '../identity/node-registry.repository';
import { OutboxRepository } from '../outbox/outbox.repository';
import { ParentLinkService } from './parent-link.service';
import { ParkedMessagesService } from './parked-messages.service';
import { TrustListService } from '../identity/trust-list.service';
import { DOWN_AFTER_INTERVALS, LINK_HEALTH_STATES, linkHealth, STALE_AFTER_INTERVALS } from './link-health';

/** Per link: where it stands, what waits, and the last thing that went wrong, so a stalled or broken link is visible, never silent. */
@Injectable()
export class FederationStatusService {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly links: LinkStateRepository,
    private readonly outbox: OutboxRepository,
    private readonly entries: CatalogEntryRepository,
    private readonly childLinks: ChildLinksService,
    private readonly parentLink: ParentLinkService,
    private readonly metrics: MetricsRegistry,
    private readonly trust: TrustListService,
    private readonly registry: NodeRegistryRepository,
    private readonly parked: ParkedMessagesService,
  ) {
    // The backlog and pending gauges come from the database and the consumers: read them at each scrape.
    metrics.beforeScrape(() => this.status());
  }

  async status(): Promise<FederationStatusView> {
    const manager = this.dataSource.manager;
    const now = Date.now();
    const [parentRow, backlog, childRows, pending, candidates, reported, protocol] = await Promise.all([
      this.config.parentCode ? this.links.parentLink(manager) : undefined,
      this.outbox.backlog(manager),
      this.childLinkRows(manager),
      this.childLinks.pendingByChild(),
      this.registry.candidates(manager, undefined, 'pending'),
      this.links.reportedPendingJoins(manager),
      this.parked.protocol(),
    ]);
    const linked = childRows.map((r) => this.childStatus(r, pending.get(String(r.code)), now));
    // A direct child whose join waits here: a link in the making, seen through its joins; nothing of it is applied, so it has no lag.
    const waiting = candidates
      .filter((c) => !linked.some((l) => l.code === c.code && l.status === 'approved'))
      .filter((c, i, all) => all.findIndex((o) => o.code === c.code) === i)
      .map((c) => this.candidateStatus(c.code, c.name, c.level as DivisionLevel, iso(c.firstSeen) as string, iso(c.lastSeen), now));
    const children = [...linked, ...waiting].sort((a, b) => a.code.localeCompare(b.code));
    const pendingJoins: PendingJoinView[] = [
      ...candidates.map((c) => ({
        code: c.code,
        name: c.name,
        publicKey: c.publicKey,
        fingerprint: keyFingerprint(c.publicKey),
        waitsAt: this.config.code,
        firstSeen: iso(c.firstSeen),
        lastSeen: iso(c.lastSeen),
        attempts: c.attempts,
        reportedVia: null as string | null,
        reportedAt: null as string | null,
      })),
      ...reported.flatMap((r) =>
        r.joins.map((j) => ({
          ...j,
          fingerprint: keyFingerprint(j.publicKey),
          reportedVia: r.via as string | null,
          reportedAt: r.reportedAt as string | null,
        })),
      ),
    ];
    this.exportMetrics(children, backlog, pendingJoins, now);
    return {
      node: this.config.code,
      protocol,
      heartbeat: {
        intervalSeconds: this.config.heartbeatSeconds,
        staleAfterIntervals: STALE_AFTER_INTERVALS,
        downAfterIntervals: DOWN_AFTER_INTERVALS,
      },
      parent: this.config.parentCode
        ? {
            code: this.config.parentCode,
            name: (parentRow?.name as string | null) ?? null,
            joined: this.parentLink.joined,
            joinedAt: iso(parentRow?.joinedAt),
            outboxBacklog: backlog.count,
            oldestQueuedAt: backlog.oldestAt,
            lastPublishedSeq: Number(parentRow?.lastPublishedSeq ?? 0),
            lastPublishedAt: iso(parentRow?.lastPublishedAt),
            published: Number(parentRow?.published ?? 0),
            lastError: (parentRow?.lastError as string | null) ?? null,
            lastErrorAt: iso(parentRow?.lastErrorAt),
          }
        : null,
      children,
      /** Joins waiting for an operator here or anywhere below, with the node that holds each (waitsAt). */
      pendingJoins,
      trustList: (({ nodes, ...rest }) => ({ ...rest, nodes: nodes.length }))(this.trust.summary()),
    };
  }

  private childStatus(r: Record<string, unknown>, waiting: number | undefined, now: number): ChildLinkView {
    const status = String(r.status);
    const intervalSeconds = r.heartbeatInterval === null || r.heartbeatInterval === undefined ? this.config.heartbeatSeconds : Number(r.heartbeatInterval);
    const lastSeenAt = iso(r.lastSeenAt);
    return {
      code: String(r.code),
      name: String(r.name),
      level: String(r.level) as DivisionLevel,
      status: status as FederationNodeState,
      health: linkHealth({ status, lastSeenAt, intervalSeconds }, now),
      lastSeenAt,
      secondsSinceSeen: secondsSince(lastSeenAt, now),
      lastHeartbeatAt: iso(r.lastHeartbeatAt),
      heartbeatIntervalSeconds: intervalSeconds,
      reportedOutboxBacklog: r.reportedBacklog === null || r.reportedBacklog === undefined ? null : Number(r.reportedBacklog),
      joinedAt: iso(r.joinedAt) as string,
      lastStreamSeq: Number(r.lastStreamSeq),
      lastOrigin: (r.lastOrigin as string | null) ?? null,
      lastOriginSeq: r.lastOriginSeq === null ? null : Number(r.lastOriginSeq),
      lastAppliedAt: iso(r.lastAppliedAt),
      lastLagSeconds:
        r.lastAppliedAt && r.lastRecordAt ? Math.max(0, (Date.parse(String(iso(r.lastAppliedAt))) - Date.parse(String(iso(r.lastRecordAt)))) / 1000) : null,
      applied: Number(r.applied),
      skipped: Number(r.skipped),
      rejected: Number(r.rejected),
      pending: waiting ?? null,
      lastError: (r.lastError as string | null) ?? null,
      lastErrorAt: iso(r.lastErrorAt),
    };
  }

  private candidateStatus(code: string, name: string, level: DivisionLevel, firstSeen: string, lastSeen: string | null, now: number): ChildLinkView {
    return {
      code,
      name,
      level,
      status: 'pending',
      health: 'pending-approval',
      lastSeenAt: lastSeen,
      secondsSinceSeen: secondsSince(lastSeen, now),
      lastHeartbeatAt: null,
      heartbeatIntervalSeconds: this.config.heartbeatSeconds,
      reportedOutboxBacklog: null,
      joinedAt: firstSeen,
      lastStreamSeq: 0,
      lastOrigin: null,
      lastOriginSeq: null,
      lastAppliedAt: null,
      lastLagSeconds: null,
      applied: 0,
      skipped: 0,
      rejected: 0,
      pending: null,
      lastError: null,
      lastErrorAt: null,
    };
  }

  /** The gauges an operator alerts on, set afresh from this status (a child that left the list leaves the metrics too). */
  private exportMetrics(
    children: ChildLinkView[],
    backlog: { count: number; oldestAt: string | null },
    pendingJoins: { waitsAt: string }[],
    now: number,
  ): void {
    const m = this.metrics;
    m.outboxBacklog.set(backlog.count);
    m.outboxOldestAge.set(backlog.oldestAt ? Math.max(0, (now - Date.parse(backlog.oldestAt)) / 1000) : 0);
    if (this.config.parentCode) m.parentJoined.set(this.parentLink.joined ? 1 : 0);
    m.childHealth.reset();
    m.childLastSeen.reset();
    m.childPending.reset();
    for (const child of children) {
      for (const state of LINK_HEALTH_STATES) m.childHealth.set({ child: child.code, state }, child.health === state ? 1 : 0);
      if (child.status === 'approved' && child.secondsSinceSeen !== null) m.childLastSeen.set({ child: child.code }, child.secondsSinceSeen);
      if (child.pending !== null) m.childPending.set({ child: child.code }, child.pending);
      // Lag is a property of records applied; a child waiting for approval has none, and a revoked one no longer has one.
      if (child.status !== 'approved') m.lagSeconds.remove({ child: child.code });
    }
    m.joinsPending.reset();
    const byNode = new Map<string, number>();
    for (const join of pendingJoins) byNode.set(join.waitsAt, (byNode.get(join.waitsAt) ?? 0) + 1);
    for (const [waitsAt, count] of byNode) m.joinsPending.set({ waits_at: waitsAt }, count);
  }

  async digest(): Promise<FederationDigestView> {
    return { node: this.config.code, origins: await this.entries.digests(this.dataSource.manager) };
  }

  /** Each child link's progress with who the child is, from identity (which owns known_node); a link's child is always known (foreign key). */
  private async childLinkRows(manager: EntityManager): Promise<Record<string, unknown>[]> {
    const links = await this.links.childLinks(manager);
    const known = new Map(
      (
        await this.registry.knownNodes(
          manager,
          links.map((l) => String(l.code)),
        )
      ).map((k) => [k.code, k]),
    );
    return links.flatMap((link) => {
      const child = known.get(String(link.code));
      return child ? [{ ...link, name: child.name, level: child.level, status: child.status, joinedAt: child.joinedAt }] : [];
    });
  }
}

function secondsSince(at: string | null, now: number): number | null {
  return at === null ? null : Math.max(0, Math.round((now - Date.parse(at)) / 100) / 10);
}

function iso(value: unknown): string | null {
  return value === null || value === undefined ? null : new Date(value as string).toISOString();
}
