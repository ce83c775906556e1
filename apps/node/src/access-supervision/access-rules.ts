import {
  ACCESS_ALERTS_MAX,
  ACCESS_LIST_MAX,
  type AccessAlert,
  type AccessCounterpartVolume,
  type AccessInstitutionVolume,
  type AccessVolume,
} from '@tdx/contracts';
import type { DailyRows, ExchangeGroup } from './access-records.repository';

/**
 * The rules of access supervision as plain functions (docs/supervision.md, "Access supervision"),
 * so each can be checked by itself against numbers worked out by hand.
 */

/** The period the figures cover: the 30 days up to the end of the minute of the run. */
export const ACCESS_PERIOD_DAYS = 30;
/** Unusual volume: today's rows of an institution above max(SPIKE_FACTOR × its median day of the BASELINE_DAYS before, SPIKE_FLOOR_ROWS). */
export const SPIKE_FACTOR = 3;
export const SPIKE_FLOOR_ROWS = 1000;
export const BASELINE_DAYS = 28;

const DAY_MS = 86_400_000;

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The UTC day (YYYY-MM-DD) of `at`, and its start. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export function startOfUtcDay(at: Date): Date {
  return new Date(Date.parse(`${utcDay(at)}T00:00:00.000Z`));
}

/** The window the spike rule reads: from the start of the first baseline day to `now`. */
export function spikeWindow(now: Date): { from: Date; to: Date } {
  return { from: new Date(startOfUtcDay(now).getTime() - BASELINE_DAYS * DAY_MS), to: now };
}

export interface Spike {
  institution: string;
  today: number;
  median: number;
  threshold: number;
}

/**
 * Institutions whose rows today (UTC) exceed max(SPIKE_FACTOR × the median of their daily rows over
 * the BASELINE_DAYS days before today, SPIKE_FLOOR_ROWS). A day without exchanges counts as 0: an
 * institution quiet for a month and busy today is what this rule is for. The floor keeps small
 * numbers (10 rows after a month of 2) from raising alerts.
 */
export function spikes(daily: readonly DailyRows[], now: Date): Spike[] {
  const today = utcDay(now);
  const start = startOfUtcDay(now).getTime();
  const baselineDays = new Set(Array.from({ length: BASELINE_DAYS }, (_, i) => utcDay(new Date(start - (i + 1) * DAY_MS))));
  const byInstitution = new Map<string, { today: number; days: Map<string, number> }>();
  for (const d of daily) {
    const entry = byInstitution.get(d.institution) ?? { today: 0, days: new Map<string, number>() };
    if (d.day === today) entry.today += d.rows;
    else if (baselineDays.has(d.day)) entry.days.set(d.day, (entry.days.get(d.day) ?? 0) + d.rows);
    byInstitution.set(d.institution, entry);
  }
  const found: Spike[] = [];
  for (const [institution, { today: rows, days }] of byInstitution) {
    const perDay = [...baselineDays].map((day) => days.get(day) ?? 0);
    const m = median(perDay) ?? 0;
    const threshold = Math.max(SPIKE_FACTOR * m, SPIKE_FLOOR_ROWS);
    if (rows > threshold) found.push({ institution, today: rows, median: m, threshold });
  }
  return found.sort((a, b) => b.today - a.today || (a.institution < b.institution ? -1 : 1));
}

const emptyVolume = (): AccessVolume => ({ returns: 0, shareQueries: 0, shareDeliveries: 0, rows: 0 });

function add(v: AccessVolume, g: ExchangeGroup): void {
  if (g.kind === 'return') v.returns += g.exchanges;
  else if (g.kind === 'query') v.shareQueries += g.exchanges;
  else if (g.kind === 'delivery') v.shareDeliveries += g.exchanges;
  v.rows += g.rows;
}

/** Biggest first: rows, then exchanges, then the name (a stable order for equal figures). */
function biggestFirst<T extends AccessVolume>(name: (v: T) => string) {
  return (a: T, b: T) =>
    b.rows - a.rows ||
    b.returns + b.shareQueries + b.shareDeliveries - (a.returns + a.shareQueries + a.shareDeliveries) ||
    (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}

/** Totals, and the ACCESS_LIST_MAX biggest institutions and counterpart nodes. */
export function volumesOf(
  groups: readonly ExchangeGroup[],
): AccessVolume & { institutions: AccessInstitutionVolume[]; counterparts: AccessCounterpartVolume[] } {
  const total = emptyVolume();
  const institutions = new Map<string, AccessInstitutionVolume>();
  const counterparts = new Map<string, AccessCounterpartVolume>();
  for (const g of groups) {
    add(total, g);
    if (g.institution && /^[0-9a-f-]{36}$/i.test(g.institution)) {
      const v = institutions.get(g.institution) ?? { institution: g.institution, ...emptyVolume() };
      add(v, g);
      institutions.set(g.institution, v);
    }
    if (g.counterpart && /^\d{6}$/.test(g.counterpart)) {
      const v = counterparts.get(g.counterpart) ?? { node: g.counterpart, ...emptyVolume() };
      add(v, g);
      counterparts.set(g.counterpart, v);
    }
  }
  return {
    ...total,
    institutions: [...institutions.values()].sort(biggestFirst((v) => v.institution)).slice(0, ACCESS_LIST_MAX),
    counterparts: [...counterparts.values()].sort(biggestFirst((v) => v.node)).slice(0, ACCESS_LIST_MAX),
  };
}

/** The alerts, the most pressing kinds first, within ACCESS_ALERTS_MAX (the count by kind is in the state's other figures). */
export function boundedAlerts(alerts: AccessAlert[]): AccessAlert[] {
  const order = ['security-events', 'link-unhealthy', 'unusual-volume', 'overdue-decision', 'grant-expiring'];
  return [...alerts].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind)).slice(0, ACCESS_ALERTS_MAX);
}
