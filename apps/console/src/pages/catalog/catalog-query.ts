import type { Operations } from '../../api/client';
import { ENTRY_TYPES } from './entry-form-model';

export type CatalogQuery = NonNullable<Operations['GET /api/v1/catalog/entries']['query']>;
export type SearchQuery = NonNullable<Operations['GET /api/v1/search']['query']>;

/** The list's filters as the inputs hold them ('' = any); kept in the page's address so a link shows the same list. */
export interface CatalogFilters {
  /** this node's catalog, or the province-wide search (the sharing channel's) */
  source: 'node' | 'province';
  q: string;
  type: '' | (typeof ENTRY_TYPES)[number];
  scope: 'local' | 'subtree';
  status: 'active' | 'retired' | 'all';
  origin: string;
}

export const DEFAULT_FILTERS: CatalogFilters = { source: 'node', q: '', type: '', scope: 'subtree', status: 'active', origin: '' };
export const PAGE_SIZE = 50;

const ORIGIN = /^\d{6}$/;

/** The query of GET /api/v1/catalog/entries: empty filters are left out; an origin that is no division code is not sent. */
export function catalogQueryOf(filters: CatalogFilters, cursor?: string): CatalogQuery {
  const origin = filters.origin.trim();
  return {
    limit: PAGE_SIZE,
    cursor,
    q: filters.q.trim() || undefined,
    type: filters.type || undefined,
    scope: filters.scope,
    status: filters.status,
    origin: ORIGIN.test(origin) ? origin : undefined,
  };
}

/** The query of GET /api/v1/search: the province's catalog has no scope, and no "all" status (active or retired). */
export function searchQueryOf(filters: CatalogFilters, cursor?: string): SearchQuery {
  const origin = filters.origin.trim();
  return {
    limit: PAGE_SIZE,
    cursor,
    q: filters.q.trim() || undefined,
    type: filters.type || undefined,
    status: filters.status === 'all' ? undefined : filters.status,
    origin: ORIGIN.test(origin) ? origin : undefined,
  };
}

/** Filters from the page's address (`?q=..&type=..`); unknown values fall back to the defaults. */
export function filtersFromSearch(params: URLSearchParams): CatalogFilters {
  const pick = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = params.get(name);
    return allowed.includes(value as T) ? (value as T) : fallback;
  };
  return {
    source: pick('source', ['node', 'province'], DEFAULT_FILTERS.source),
    q: params.get('q') ?? '',
    type: pick('type', ['', ...ENTRY_TYPES], ''),
    scope: pick('scope', ['local', 'subtree'], DEFAULT_FILTERS.scope),
    status: pick('status', ['active', 'retired', 'all'], DEFAULT_FILTERS.status),
    origin: params.get('origin') ?? '',
  };
}

export function searchOfFilters(filters: CatalogFilters): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value !== '' && value !== DEFAULT_FILTERS[name as keyof CatalogFilters]) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}
