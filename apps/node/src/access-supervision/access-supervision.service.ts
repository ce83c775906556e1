import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { WorkingCalendar } from '@tdx/calendar';
import {
  ACCESS_ALERTS_MAX,
  ACCESS_LINKS_MAX,
  type AccessAlert,
  type AccessAlertListView,
  type AccessNodeFiguresView,
  type AccessRollupView,
  type AccessRunView,
  type AccessStateData,
  type AccessTotalsView,
} from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { FederationStatusService } from '../federation/federation-status.service';
import { SupervisionScope } from '../supervision/supervision-scope';
import { SupervisionStates } from '../supervision/supervision-states.service';
import type { StoredSupervisionState } from '../supervision/supervision-state.repository';
import { AccessRecordsRepository } from './access-records.repository';
import { ACCESS_PERIOD_DAYS, boundedAlerts, median, SPIKE_FACTOR, SPIKE_FLOOR_ROWS, spikes, spikeWindow, volumesOf } from './access-rules';

type AccessState = StoredSupervisionState & { data: AccessStateData };

/** The key of a node's access figures in topic `access`. */
export const ACCESS_NODE_KEY = 'node';
/** States read per page when rolling up a subtree (a province has about a hundred nodes). */
const ROLLUP_PAGE = 500;
const DAY_MS = 86_400_000;

/**
 * Access supervision (Article 7): this node's figures, computed from what it records, published as
 * its `access` state (which its ancestors receive signed), and rolled up from its subtree's states.
 */
@Injectable()
export class AccessSupervision {
  private readonly calendar: WorkingCalendar;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly records: AccessRecordsRepository,
    private readonly states: SupervisionStates,
    private readonly federation: FederationStatusService,
    private readonly scope: SupervisionScope,
  ) {
    this.calendar = config.sharing.calendarFile ? WorkingCalendar.fromFile(config.sharing.calendarFile) : WorkingCalendar.shipped();
  }

  /** When a return request received at `at` is overdue: the conditional sharing deadline (SHARE_DEADLINE_DAYS_CONDITIONAL working days). */
  returnDeadline(at: Date): Date {
    return this.calendar.deadline(at, this.config.sharing.deadlineDays.conditional);
  }

  /** This node's figures as of `now`. */
  async compute(now = new Date()): Promise<AccessStateData> {
    const m = this.dataSource.manager;
    const here = this.config.code;
    // Up to the end of the current minute: everything so far is in, and two runs within a minute
    // over unchanged records compute the same state (which is then not published again).
    const to = new Date(Math.ceil((now.getTime() + 1) / 60_000) * 60_000);
    const from = new Date(to.getTime() - ACCESS_PERIOD_DAYS * DAY_MS);
    const window = spikeWindow(now);
    const expiryUntil = new Date(now.getTime() + this.config.accessSupervision.grantExpiryDays * DAY_MS);
    const [groups, daily, refusedByClass, hours, pending, shares, grants, security, status] = await Promise.all([
      this.records.exchanges(m, from, to, here),
      this.records.dailyRows(m, window.from, window.to, here),
      this.records.refusals(m, from, to),
      this.records.decisionHours(m, from, to),
      this.records.pendingReturns(m, 10_000),
      this.records.overdueShares(m, now, ACCESS_ALERTS_MAX),
      this.records.grantsExpiring(m, now, expiryUntil, ACCESS_ALERTS_MAX),
      this.records.securityEvents(m, from, to),
      this.federation.status(),
    ]);
    const overdueReturns = pending.map((r) => ({ ...r, deadline: this.returnDeadline(r.createdAt) })).filter((r) => r.deadline.getTime() < now.getTime());
    const unusual = spikes(daily, now);
    const links = status.children.slice(0, ACCESS_LINKS_MAX).map((c) => ({ code: c.code, health: c.health, lagSeconds: c.lastLagSeconds, backlog: c.pending }));
    const half = (h: number | null) => (h === null ? null : Math.round(h * 100) / 100);

    const alerts: AccessAlert[] = [
      ...security.bySender.map((s) => ({
        kind: 'security-events' as const,
        subject: `node:${s.sender}`,
        message: `${s.count} message(s) from ${s.sender} refused since ${from.toISOString()}; the latest: ${s.reason}`.slice(0, 500),
      })),
      ...links
        .filter((l) => l.health === 'stale' || l.health === 'down')
        .map((l) => ({ kind: 'link-unhealthy' as const, subject: `node:${l.code}`, message: `the link to child ${l.code} is ${l.health}` })),
      ...unusual.map((s) => ({
        kind: 'unusual-volume' as const,
        subject: `institution:${s.institution}`,
        message: `${s.today} rows exchanged today, above max(${SPIKE_FACTOR} × median day ${s.median}, ${SPIKE_FLOOR_ROWS}) = ${s.threshold}`,
      })),
      ...overdueReturns.map((r) => ({
        kind: 'overdue-decision' as const,
        subject: `return:${r.id}`,
        message: `return request undecided since ${r.createdAt.toISOString()}, due ${r.deadline.toISOString()}`,
      })),
      ...shares.oldest.map((s) => ({
        kind: 'overdue-decision' as const,
        subject: `share:${s.id}`,
        message: `share request undecided, due ${s.deadline.toISOString()}`,
      })),
      ...grants.soonest.map((g) => ({ kind: 'grant-expiring' as const, subject: `share:${g.id}`, message: `grant expires ${g.expiresAt.toISOString()}` })),
    ];
    return {
      period: { from: from.toISOString(), to: to.toISOString() },
      volumes: volumesOf(groups),
      refused: refusedByClass.reduce((sum, r) => sum + r.count, 0),
      refusedByClass,
      decisions: { answered: hours.length, overdue: overdueReturns.length + shares.count, medianHoursToDecide: half(median(hours)) },
      grantsExpiringSoon: grants.count,
      securityEvents: security.rejectedMessages + security.refusedSignIns + security.forbidden,
      securityEventsByKind: { rejectedMessages: security.rejectedMessages, refusedSignIns: security.refusedSignIns, forbidden: security.forbidden },
      alerts: boundedAlerts(alerts),
      links,
    };
  }

  /** Computes now and publishes (an unchanged state is not published again). */
  async run(now = new Date()): Promise<AccessRunView> {
    const data = await this.compute(now);
    const outcome = await this.states.publishNow('access', ACCESS_NODE_KEY, data);
    return { outcome: outcome.kind, version: outcome.kind === 'published' ? outcome.state.version : outcome.version, data };
  }

  /** The newest `access`/`node` state of every node within `within` (this node's included), by code. */
  async subtreeStates(within: string): Promise<AccessState[]> {
    const found: AccessState[] = [];
    let after: { origin: string; key: string } | undefined;
    for (;;) {
      const page = await this.states.find({ topic: 'access', within, keyPrefix: ACCESS_NODE_KEY, limit: ROLLUP_PAGE, after });
      found.push(...(page.filter((s) => s.key === ACCESS_NODE_KEY) as AccessState[]));
      if (page.length < ROLLUP_PAGE) return found;
      const last = page[page.length - 1];
      after = { origin: last.origin, key: last.key };
    }
  }

  async rollup(withinAsked: string | undefined): Promise<AccessRollupView> {
    const within = this.scope.resolve(withinAsked);
    const nodes = (await this.subtreeStates(within)).map(figures);
    return { node: this.config.code, within, own: nodes.find((n) => n.origin === this.config.code) ?? null, nodes, totals: totalsOf(nodes) };
  }

  async alerts(withinAsked: string | undefined): Promise<AccessAlertListView> {
    const within = this.scope.resolve(withinAsked);
    const items = (await this.subtreeStates(within)).flatMap((s) => s.data.alerts.map((a) => ({ ...a, origin: s.origin, computedAt: s.computedAt })));
    return { within, items };
  }
}

function figures(s: AccessState): AccessNodeFiguresView {
  return { origin: s.origin, version: s.version, computedAt: s.computedAt, data: s.data };
}

/** Each node's own figures summed: a node reports only its own exchanges, so nothing is counted twice. */
export function totalsOf(nodes: readonly AccessNodeFiguresView[]): AccessTotalsView {
  const t: AccessTotalsView = {
    nodes: nodes.length,
    returns: 0,
    shareQueries: 0,
    shareDeliveries: 0,
    rows: 0,
    refused: 0,
    answered: 0,
    overdue: 0,
    grantsExpiringSoon: 0,
    securityEvents: 0,
    alerts: 0,
  };
  for (const { data: d } of nodes) {
    t.returns += d.volumes.returns;
    t.shareQueries += d.volumes.shareQueries;
    t.shareDeliveries += d.volumes.shareDeliveries;
    t.rows += d.volumes.rows;
    t.refused += d.refused;
    t.answered += d.decisions.answered;
    t.overdue += d.decisions.overdue;
    t.grantsExpiringSoon += d.grantsExpiringSoon;
    t.securityEvents += d.securityEvents;
    t.alerts += d.alerts.length;
  }
  return t;
}
