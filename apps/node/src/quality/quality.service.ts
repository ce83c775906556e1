import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  qualityRuleSetProblems,
  type EntryState,
  type Page,
  type QualityEntryDetailView,
  type QualityNodeState,
  type QualityRuleSet,
  type QualityRuleSetView,
  type QualityRunView,
  type QualityStateData,
  type QualityStateView,
} from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { DatasetRowRepository } from '../datasets/dataset-row.repository';
import { SupervisionStates } from '../supervision/supervision-states.service';
import { DomainRefusal } from '../common/domain-refusal';
import { cursors } from '../common/cursor';
import { QualityRepository, type QualityResult } from './quality.repository';
import { QUALITY_RULES_V1 } from './rules/quality-rules-v1';
import { checkEntry } from './entry-check';
import { dimensionScores, overallScore, topDefects, type RuleTally } from './tally';

const ENTRY_PAGE = 200;

/**
 * Runs the quality checks of this node's own entries (Article 7), keeps each entry's result, and
 * publishes the scores of each entry, each institution and the node as supervision states, which
 * the city and the province receive signed by this node.
 */
@Injectable()
export class QualityService {
  /** The run in progress on this node instance: a second request is refused rather than queued. */
  private running = false;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly repository: QualityRepository,
    private readonly entries: CatalogEntryRepository,
    private readonly rows: DatasetRowRepository,
    private readonly states: SupervisionStates,
  ) {}

  /** When this node last checked an entry (any replica); undefined before the first check. */
  lastCheckedAt(): Promise<Date | undefined> {
    return this.repository.lastCheckedAt(this.dataSource.manager);
  }

  async ruleSet(): Promise<QualityRuleSetView> {
    const stored = await this.repository.currentRuleSet(this.dataSource.manager);
    if (!stored) return { version: 1, setAt: '1970-01-01T00:00:00.000Z', setBy: 'built-in', ...QUALITY_RULES_V1 };
    return { version: stored.version, setAt: stored.setAt, setBy: stored.setBy, ...stored.body };
  }

  /** Stores a rule set as the next version; one that does not parse is refused (400) naming each field and rule, and nothing is stored. */
  async setRuleSet(body: unknown, actor: string): Promise<QualityRuleSetView> {
    const problems = qualityRuleSetProblems(body);
    if (problems.length > 0) throw DomainRefusal.invalid(problems.map((p) => ({ field: p.field, messages: [p.message] })));
    const set = body as QualityRuleSet;
    const stored = await this.dataSource.transaction((m) =>
      this.repository.storeRuleSet(m, { dimensionWeights: set.dimensionWeights, rules: set.rules }, actor, 1),
    );
    return { version: stored.version, setAt: stored.setAt, setBy: stored.setBy, ...stored.body };
  }

  /** Checks every active entry of this node, one at a time, then pools institutions and the node. */
  async run(): Promise<QualityRunView> {
    if (this.running) throw DomainRefusal.conflict('A quality check is already running on this node');
    this.running = true;
    try {
      const startedAt = new Date();
      const rules = await this.ruleSet();
      const checked: string[] = [];
      let afterSeq = 0;
      for (;;) {
        const page = await this.entries.list(this.dataSource.manager, { origin: this.config.code, status: 'active', afterSeq, limit: ENTRY_PAGE });
        for (const entry of page.items) {
          await this.checkAndPublish(entry, rules);
          checked.push(entry.id);
        }
        if (page.lastSeq === null || page.items.length < ENTRY_PAGE) break;
        afterSeq = page.lastSeq;
      }
      await this.repository.keepOnly(this.dataSource.manager, checked);
      const node = await this.publishAggregates(rules);
      return { startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), node };
    } finally {
      this.running = false;
    }
  }

  private async checkAndPublish(entry: EntryState, rules: QualityRuleSetView): Promise<void> {
    const manager = this.dataSource.manager;
    const found = await checkEntry(entry, rules, new Date(), {
      page: (items, afterKey, limit) => this.rows.itemValues(manager, entry.id, items, afterKey, limit),
      repeats: (item, sampleLimit) => this.rows.repeatedValues(manager, entry.id, item, sampleLimit),
      lastWrite: () => this.rows.lastWrite(manager, entry.id),
    });
    const result: QualityResult = {
      entryId: entry.id,
      institutionId: entry.providerId,
      ruleSetVersion: rules.version,
      checkedAt: new Date().toISOString(),
      rows: found.rows,
      tallies: found.tallies,
      samples: found.samples,
    };
    const data: QualityStateData = { scope: 'entry', entryId: entry.id, institutionId: entry.providerId, ...figures(rules, [result]) };
    await this.dataSource.transaction(async (m) => {
      await this.repository.saveResult(m, result);
      await this.states.publish(m, 'quality', `entry:${entry.id}`, data);
    });
    this.states.relay();
  }

  private async publishAggregates(rules: QualityRuleSetView): Promise<QualityNodeState> {
    const results = await this.repository.results(this.dataSource.manager);
    const byInstitution = new Map<string, QualityResult[]>();
    for (const r of results) byInstitution.set(r.institutionId, [...(byInstitution.get(r.institutionId) ?? []), r]);
    for (const [institutionId, own] of byInstitution) {
      await this.states.publishNow('quality', `institution:${institutionId}`, { scope: 'institution', institutionId, ...figures(rules, own) });
    }
    const node: QualityNodeState = { scope: 'node', ...figures(rules, results) };
    await this.states.publishNow('quality', 'node', node);
    return node;
  }

  /** Quality states of this node and its subtree, in (origin, key) order. */
  async list(q: { within?: string; scope?: 'entry' | 'institution' | 'node'; limit: number; cursor?: string }): Promise<Page<QualityStateView>> {
    const after = q.cursor === undefined ? undefined : originAndKey(cursors.key(q.cursor) as string);
    const keyPrefix = q.scope === 'entry' ? 'entry:' : q.scope === 'institution' ? 'institution:' : q.scope === 'node' ? 'node' : undefined;
    const found = await this.states.find({ topic: 'quality', within: q.within, keyPrefix, limit: q.limit + 1, after });
    const items = found
      .slice(0, q.limit)
      .map((s) => ({ origin: s.origin, key: s.key, version: s.version, computedAt: s.computedAt, data: s.data as QualityStateData }));
    const last = items[items.length - 1];
    return { items, nextCursor: found.length > q.limit && last ? cursors.ofKey(`${last.origin}/${last.key}`) : null };
  }

  async entryDetail(entryId: string): Promise<QualityEntryDetailView> {
    const result = await this.repository.result(this.dataSource.manager, entryId);
    if (!result) throw DomainRefusal.notFound('No quality check of this entry at this node (only its own entries are checked here)');
    const rules = await this.ruleSet();
    const own = figures(rules, [result]);
    return {
      entryId: result.entryId,
      institutionId: result.institutionId,
      ruleSetVersion: result.ruleSetVersion,
      checkedAt: result.checkedAt,
      rows: result.rows,
      score: own.score,
      dimensions: own.dimensions,
      rules: result.tallies.map((t) => ({ ...t, sampleRowKeys: result.samples[t.rule] ?? [] })),
    };
  }
}

/** The figures of some entries' results pooled: their tallies added up, scored under the rule set's dimension weights. */
function figures(rules: QualityRuleSetView, results: QualityResult[]): Omit<QualityNodeState, 'scope'> {
  const tallies: RuleTally[] = results.flatMap((r) => r.tallies);
  const dimensions = dimensionScores(tallies);
  return {
    ruleSetVersion: rules.version,
    score: overallScore(dimensions, rules.dimensionWeights),
    dimensions,
    entries: results.length,
    rows: results.reduce((n, r) => n + r.rows, 0),
    defects: topDefects(tallies),
  };
}

function originAndKey(text: string): { origin: string; key: string } {
  const slash = text.indexOf('/');
  if (slash !== 6) throw DomainRefusal.invalid([{ field: 'cursor', messages: ['cursor is not one this API returned'] }]);
  return { origin: text.slice(0, 6), key: text.slice(7) };
}
