import { isDivisionCode, jurisdictionPrefix } from '@tdx/divisions';
import type { EntryState, ShareFilters, ShareState } from '@tdx/contracts';
import type { Refusal } from '../common/domain-refusal';

/**
 * The rules of Article 10 that decide whether a share request may stand and whether a call is
 * within its grant. Pure functions, checked at the consumer's node before anything is stored and
 * again, authoritatively, at the provider's node; each refusal names its rule and article.
 */

const ARTICLE = 'Article 10';
/** How far ahead a grant may run: a grant is reviewed at least this often. */
export const SHARE_MAX_YEARS = 5;

export interface ShareAsk {
  items: string[];
  regions: string[];
  expiresAt: string;
}

/** Why the entry cannot be shared at all (retired, not data, share type `none`), or undefined. */
export function entryRefusal(entry: Pick<EntryState, 'id' | 'type' | 'status' | 'shareType' | 'legalBasis'>): Refusal | undefined {
  if (entry.status !== 'active') {
    return { rule: 'entry-retired', article: 'Article 11', message: `entry ${entry.id} is retired: a retired resource is no longer shared` };
  }
  if (entry.type !== 'data') {
    return {
      rule: 'not-a-data-resource',
      article: ARTICLE,
      message: `entry ${entry.id} is a ${entry.type} resource; only data resources are shared through the channel`,
    };
  }
  if (entry.shareType === 'none') {
    return {
      rule: 'not-shareable',
      article: ARTICLE,
      message: `entry ${entry.id} is not shared (share type none); legal basis: ${entry.legalBasis ?? 'not stated'}`,
    };
  }
  return undefined;
}

/**
 * Every rule a request breaks: the entry itself, then its scope. Data items must be the entry's;
 * a sensitive item of an L4 entry never leaves its node (DB33/T 2351), so it cannot be asked for.
 */
export function requestRefusals(entry: EntryState, ask: ShareAsk, now: Date): Refusal[] {
  const refusal = entryRefusal(entry);
  if (refusal) return [refusal];
  return [...itemRefusals(entry, ask.items), ...regionRefusals(ask.regions, entry.origin), ...expiryRefusals(ask.expiresAt, now)];
}

export function itemRefusals(entry: Pick<EntryState, 'id' | 'grade' | 'dataItems'>, items: string[]): Refusal[] {
  const refusals: Refusal[] = [];
  const byName = new Map(entry.dataItems.map((item) => [item.name, item]));
  if (items.length === 0) refusals.push({ rule: 'items-required', article: ARTICLE, message: 'a request names at least one data item' });
  const unknown = items.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    refusals.push({ rule: 'item-not-in-entry', article: ARTICLE, message: `not data items of entry ${entry.id}: ${unknown.join(', ')}` });
  }
  const l4 = entry.grade === 'L4' ? items.filter((name) => byName.get(name)?.sensitive) : [];
  if (l4.length > 0) {
    refusals.push({
      rule: 'l4-never-shared',
      article: 'Article 10 (DB33/T 2351)',
      message: `sensitive items of an L4 resource are never shared: ${l4.join(', ')}`,
    });
  }
  if (new Set(items).size !== items.length) refusals.push({ rule: 'items-repeated', article: ARTICLE, message: 'a data item is named more than once' });
  return refusals;
}

/** Regions are division codes of the provider's province: its rows carry no others. */
export function regionRefusals(regions: string[], origin: string): Refusal[] {
  if (regions.length === 0)
    return [{ rule: 'regions-required', article: ARTICLE, message: 'a request names at least one region (a division code) whose rows it needs' }];
  const province = origin.slice(0, 2);
  const bad = regions.filter((r) => !isDivisionCode(r) || !r.startsWith(province));
  return bad.length > 0
    ? [{ rule: 'region-not-in-province', article: ARTICLE, message: `not division codes of the province ${province}0000: ${bad.join(', ')}` }]
    : [];
}

export function expiryRefusals(expiresAt: string, now: Date): Refusal[] {
  const at = Date.parse(expiresAt);
  if (!(at > now.getTime())) return [{ rule: 'expiry-in-the-past', article: ARTICLE, message: `expiresAt ${expiresAt} is not in the future` }];
  const limit = new Date(now);
  limit.setUTCFullYear(limit.getUTCFullYear() + SHARE_MAX_YEARS);
  if (at > limit.getTime()) {
    return [
      { rule: 'expiry-too-far', article: ARTICLE, message: `a grant runs at most ${SHARE_MAX_YEARS} years; expiresAt must be before ${limit.toISOString()}` },
    ];
  }
  return [];
}

/** Whether `region` lies inside one of the grant's regions (a division code covers the codes below it). */
export function regionWithin(region: string, granted: string[]): boolean {
  return isDivisionCode(region) && granted.some((g) => region.startsWith(jurisdictionPrefix(g)));
}

/** The grant as the check needs it. */
export interface GrantInForce {
  id: string;
  consumer: string;
  state: ShareState;
  items: string[];
  regions: string[];
  expiresAt: string;
}

export interface QueryAsk {
  fields: string[];
  regions: string[] | null;
  filters: ShareFilters | null;
}

/** 403: why the grant is not in force for `sender`, or undefined. Expiry is a time check here, on every call. */
export function grantNotInForce(grant: GrantInForce | undefined, sender: string, now: Date): string | undefined {
  if (!grant) return 'no grant with this id at the provider';
  if (grant.consumer !== sender) return `grant ${grant.id} was given to ${grant.consumer}, not to ${sender}`;
  if (grant.state === 'granted' && Date.parse(grant.expiresAt) <= now.getTime()) return `grant ${grant.id} expired at ${grant.expiresAt}`;
  if (grant.state !== 'granted') return `grant ${grant.id} is ${grant.state}, not in force`;
  return undefined;
}

/**
 * 422: every way a query goes beyond its grant: fields outside the granted items, regions outside
 * its row filter, filters on items outside the fields or on sensitive items (a filter on a value
 * the consumer sees only masked would reveal it by trial).
 */
export function queryOutsideGrant(grant: GrantInForce, entry: Pick<EntryState, 'grade' | 'dataItems'>, ask: QueryAsk): Refusal[] {
  const refusals: Refusal[] = [];
  const granted = new Set(grant.items);
  if (ask.fields.length === 0) refusals.push({ rule: 'fields-required', article: ARTICLE, message: 'a query names at least one field' });
  const outside = ask.fields.filter((f) => !granted.has(f));
  if (outside.length > 0) {
    refusals.push({ rule: 'field-outside-grant', article: ARTICLE, message: `fields outside grant ${grant.id}: ${outside.join(', ')}` });
  }
  const sensitive = new Set(entry.dataItems.filter((i) => i.sensitive).map((i) => i.name));
  if (entry.grade === 'L4') {
    const l4 = ask.fields.filter((f) => sensitive.has(f));
    if (l4.length > 0)
      refusals.push({
        rule: 'l4-never-shared',
        article: 'Article 10 (DB33/T 2351)',
        message: `sensitive items of an L4 resource are never shared: ${l4.join(', ')}`,
      });
  }
  const regionsOutside = (ask.regions ?? []).filter((r) => !regionWithin(r, grant.regions));
  if (regionsOutside.length > 0) {
    refusals.push({
      rule: 'region-outside-grant',
      article: ARTICLE,
      message: `regions outside grant ${grant.id} (rows of ${grant.regions.join(', ')} only): ${regionsOutside.join(', ')}`,
    });
  }
  for (const name of Object.keys(ask.filters ?? {})) {
    if (!ask.fields.includes(name)) {
      refusals.push({ rule: 'filter-outside-fields', article: ARTICLE, message: `filter on ${name}, which is not among the fields asked` });
    } else if (sensitive.has(name)) {
      refusals.push({
        rule: 'filter-on-sensitive-item',
        article: ARTICLE,
        message: `filter on ${name}: a sensitive item is served masked and cannot be filtered on`,
      });
    }
  }
  return refusals;
}
