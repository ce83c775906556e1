import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { CatalogEntryRepository, OriginDigest } from '../catalog/catalog-entry.repository';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { ChildLinksService } from './child-links.service';
import { LinkStateRepository } from './link-state.repository';
import { NodeRegistryRepository } from '../identity/node-registry.repository';
import { OutboxRepository } from '../outbox/outbox.repository';
import { ParentLinkService } from './parent-link.service';
import { TrustListService } from '../identity/trust-list.service';

export interface ChildLinkStatus {
  code: string;
  name: string;
  level: string;
  /** pending: waits for an operator's approval; rejected, revoked: nothing from it is applied. */
  status: string;
  joinedAt: string;
  lastStreamSeq: number;
  lastOrigin: string | null;
  lastOriginSeq: number | null;
  lastAppliedAt: string | null;
  /** Seconds from the origin's commit of the last applied record to its apply here. */
  lastLagSeconds: number | null;
  applied: number;
  skipped: number;
  rejected: number;
  /** Records waiting in this node's stream for this link (null while NATS is unreachable). */
  pending: number | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

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
  ) {
    // The backlog and pending gauges come from the database and the consumers: read them at each scrape.
    metrics.beforeScrape(() => this.status());
  }

  async status() {
    const manager = this.dataSource.manager;
    const [parentRow, backlog, childRows, pending] = await Promise.all([
      this.config.parentCode ? this.links.parentLink(manager) : undefined,
      this.outbox.backlog(manager),
      this.childLinkRows(manager),
      this.childLinks.pendingByChild(),
    ]);
    this.metrics.outboxBacklog.set(backlog.count);
    const children: ChildLinkStatus[] = childRows.map((r) => {
      const waiting = pending.get(String(r.code));
      if (waiting !== undefined) this.metrics.childPending.set({ child: String(r.code) }, waiting);
      return {
        code: String(r.code),
        name: String(r.name),
        level: String(r.level),
        status: String(r.status),
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

  async digest(): Promise<{ node: string; origins: OriginDigest[] }> {
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

function iso(value: unknown): string | null {
  return value === null || value === undefined ? null : new Date(value as string).toISOString();
}
