import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ChildLinkView, FederationDigestView, FederationNodeState, FederationStatusView } from '@tdx/contracts';
import type { DivisionLevel } from '@tdx/divisions';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { ChildLinksService } from './child-links.service';
import { LinkStateRepository } from './link-state.repository';
import { OutboxRepository } from '../outbox/outbox.repository';
import { ParentLinkService } from './parent-link.service';
import { TrustListService } from '../identity/trust-list.service';

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
  ) {
    // The backlog and pending gauges come from the database and the consumers: read them at each scrape.
    metrics.beforeScrape(() => this.status());
  }

  async status(): Promise<FederationStatusView> {
    const manager = this.dataSource.manager;
    const [parentRow, backlog, childRows, pending] = await Promise.all([
      this.config.parentCode ? this.links.parentLink(manager) : undefined,
      this.outbox.backlog(manager),
      this.links.childLinks(manager),
      this.childLinks.pendingByChild(),
    ]);
    this.metrics.outboxBacklog.set(backlog.count);
    const children: ChildLinkView[] = childRows.map((r) => {
      const waiting = pending.get(String(r.code));
      if (waiting !== undefined) this.metrics.childPending.set({ child: String(r.code) }, waiting);
      return {
        code: String(r.code),
        name: String(r.name),
        level: String(r.level) as DivisionLevel,
        status: String(r.status) as FederationNodeState,
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
    });
    return {
      node: this.config.code,
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
      trustList: (({ nodes, ...rest }) => ({ ...rest, nodes: nodes.length }))(this.trust.summary()),
    };
  }

  async digest(): Promise<FederationDigestView> {
    return { node: this.config.code, origins: await this.entries.digests(this.dataSource.manager) };
  }
}

function iso(value: unknown): string | null {
  return value === null || value === undefined ? null : new Date(value as string).toISOString();
}
