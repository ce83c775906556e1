import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  ASSESSMENT_INDICATORS,
  type AssessmentScorecardView,
  type AssessmentWeights,
  type AssessmentWeightSetView,
  type DivisionScorecard,
} from '@tdx/contracts';
import { type Division, findDivision, isDivisionCode, isWithin, jurisdictionPrefix, levelOf, ZHEJIANG_DIVISIONS } from '@tdx/divisions';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DomainRefusal } from '../common/domain-refusal';
import type { Principal } from '../access/principal';
import { SupervisionStates } from '../supervision/supervision-states.service';
import { SupervisionScope } from '../supervision/supervision-scope';
import { AssessmentRepository } from './assessment.repository';
import { DEFAULT_WEIGHTS, type HeldState, scorecardOf } from './scorecard';

/** Ids of entries named in a division's detail, per catalog indicator. */
const SAMPLE_SIZE = 20;
const STATE_PAGE = 1000;

/**
 * The annual assessment of Article 5: a scorecard per division and year, from the figures this node
 * holds (its subtree's supervision states and catalog replicas), weighted by the weight set in force
 * here. The province's weights govern the official scorecard; a city's are its operator's copy, for
 * previewing its counties (docs/assessment.md, "Weights").
 */
@Injectable()
export class AssessmentService {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly repository: AssessmentRepository,
    private readonly states: SupervisionStates,
    private readonly scope: SupervisionScope,
  ) {}

  async weights(): Promise<AssessmentWeightSetView> {
    return (await this.repository.latestWeights(this.dataSource.manager)) ?? { version: 0, weights: { ...DEFAULT_WEIGHTS }, setBy: null, setAt: null };
  }

  async setWeights(weights: AssessmentWeights, actor: Principal): Promise<AssessmentWeightSetView> {
    if (this.config.level === 'county') {
      throw DomainRefusal.refused([
        {
          rule: 'weights-set-above-county',
          article: 'Article 5',
          message: 'assessment weights are set at the province (the official scorecard) or at a city (its preview of its counties), not at a county',
        },
      ]);
    }
    const sum = ASSESSMENT_INDICATORS.reduce((s, i) => s + weights[i], 0);
    if (Math.abs(sum - 1) > 1e-9 && Math.abs(sum - 100) > 1e-6) {
      throw DomainRefusal.refused([
        { rule: 'weights-sum', article: 'Article 5', message: `weights must sum to 1 or to 100 (these sum to ${Math.round(sum * 1e6) / 1e6})` },
      ]);
    }
    const by = actor.kind === 'user' ? actor.subject : 'node';
    return this.dataSource.transaction((manager) => this.repository.insertWeights(manager, pick(weights), by));
  }

  /** Every division of the subtree of `within` (Zhejiang's list, and any other origin this node holds figures of). */
  async scorecard(year: number, within?: string): Promise<AssessmentScorecardView> {
    const division = this.scope.resolve(within);
    const weights = await this.weights();
    const until = `${year + 1}-01-01T00:00:00Z`;
    const prefix = jurisdictionPrefix(division);
    const [catalog, quality, access] = await Promise.all([
      this.repository.catalogFigures(this.dataSource.manager, prefix, until),
      this.nodeStates('quality', division),
      this.nodeStates('access', division),
    ]);
    const byOrigin = new Map(catalog.map((c) => [c.origin, c]));
    const codes = new Set([...ZHEJIANG_DIVISIONS.keys()].filter((code) => isWithin(code, division)));
    for (const origin of [...byOrigin.keys(), ...quality.keys(), ...access.keys()]) if (isDivisionCode(origin) && isWithin(origin, division)) codes.add(origin);
    const divisions = [...codes]
      .sort()
      .map((code) =>
        scorecardOf({ division: divisionOf(code), year, catalog: byOrigin.get(code), quality: quality.get(code), access: access.get(code) }, weights.weights),
      );
    return { year, within: division, computedAt: new Date().toISOString(), weights, divisions };
  }

  /** One division's scorecard with the ids of the entries that lower its catalog figures. */
  async division(code: string, year: number): Promise<DivisionScorecard> {
    const division = this.scope.resolve(code);
    const weights = await this.weights();
    const until = `${year + 1}-01-01T00:00:00Z`;
    const manager = this.dataSource.manager;
    const [catalog] = (await this.repository.catalogFigures(manager, division, until)).filter((c) => c.origin === division);
    const [quality, access, samples] = await Promise.all([
      this.states.get('quality', division, 'node'),
      this.states.get('access', division, 'node'),
      this.repository.samples(manager, division, until, SAMPLE_SIZE),
    ]);
    return scorecardOf({ division: divisionOf(division), year, catalog, quality: held(quality), access: held(access), samples }, weights.weights);
  }

  /** The `node` state of each origin in the subtree, for one topic. */
  private async nodeStates(topic: 'quality' | 'access', within: string): Promise<Map<string, HeldState>> {
    const found = new Map<string, HeldState>();
    let after: { origin: string; key: string } | undefined;
    for (;;) {
      const page = await this.states.find({ topic, within, keyPrefix: 'node', limit: STATE_PAGE, after });
      for (const s of page) if (s.key === 'node') found.set(s.origin, held(s) as HeldState);
      if (page.length < STATE_PAGE) return found;
      after = { origin: page[page.length - 1].origin, key: page[page.length - 1].key };
    }
  }
}

function held(s: { origin: string; topic: string; key: string; version: number; computedAt: string; data: unknown } | undefined): HeldState | undefined {
  return s ? { origin: s.origin, topic: s.topic as HeldState['topic'], key: s.key, version: s.version, computedAt: s.computedAt, data: s.data } : undefined;
}

function divisionOf(code: string): Division {
  return findDivision(code) ?? { code, name: code, level: levelOf(code) };
}

/** Exactly the indicators, in their order (the DTO has refused any other field). */
function pick(weights: AssessmentWeights): AssessmentWeights {
  return Object.fromEntries(ASSESSMENT_INDICATORS.map((i) => [i, weights[i]])) as AssessmentWeights;
}
