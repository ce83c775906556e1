import type { EntryState, InstitutionState } from '../records';

/** An institution as this node holds it (its own, or replicated from its subtree). */
export type InstitutionView = InstitutionState;

/**
 * A catalog entry at its current version: the whole state, as it replicates. `version` counts the
 * entry's versions from 1; every edit and the retirement make a new one.
 */
export type CatalogEntryView = EntryState;

/** The answer to a bulk registration: every entry registered, in the order sent. */
export interface CatalogBulkView {
  count: number;
  items: CatalogEntryView[];
}

/** What the public sees of an open entry: no provider id, no sharing conditions, no internal fields. */
export type OpenEntryView = Pick<
  EntryState,
  | 'id'
  | 'origin'
  | 'code'
  | 'type'
  | 'name'
  | 'summary'
  | 'category'
  | 'grade'
  | 'openType'
  | 'updateCycle'
  | 'format'
  | 'regionScope'
  | 'releaseDate'
  | 'version'
  | 'updatedAt'
> & { dataItems: { name: string; type: EntryState['dataItems'][number]['type'] }[] };

/**
 * One page of a province-wide search. scope 'province': the province answered, over the whole
 * province's catalog; 'subtree': the province could not be reached, and the node asked answered
 * from what it holds (its own entries and its subtree's).
 */
export interface SearchPageView {
  items: CatalogEntryView[];
  nextCursor: string | null;
  scope: 'province' | 'subtree';
}
