import type { OpenEntryView } from './catalog';

/** One page of the province's open catalog, and whose catalog answered (see ProvinceSearchPage). */
export interface OpenCatalogPageView {
  items: OpenEntryView[];
  nextCursor: string | null;
  /** 'province': the whole province's open catalog; 'subtree': the province was unreachable, this node's and its subtree's only. */
  scope: 'province' | 'subtree';
}

/** One row of open data, its sensitive items masked by the entry's grade. */
export interface OpenRowView {
  rowKey: string;
  regionCode: string;
  data: Record<string, unknown>;
}

/** One page of an open entry's rows, in row key order. */
export interface OpenRowsPageView {
  entryId: string;
  items: OpenRowView[];
  nextCursor: string | null;
}

export const OPEN_APPLICATION_STATES = ['pending', 'approved', 'rejected'] as const;
export type OpenApplicationState = (typeof OPEN_APPLICATION_STATES)[number];

/** An application for restricted open data, as its applicant and the provider see it (never its token). */
export interface OpenApplicationView {
  id: string;
  entryId: string;
  /** The node that registered the entry, which decides. */
  origin: string;
  /** The node the application was made at. */
  appliedAt: string;
  applicantName: string;
  organisation: string;
  contact: string;
  purpose: string;
  state: OpenApplicationState;
  reason: string | null;
  decidedAt: string | null;
  /** Until when an approved application's token opens the data. */
  expiresAt: string | null;
  createdAt: string;
}

/** The answer to a new application: its id and the token, shown this once (only its hash is kept). */
export interface OpenApplicationCreatedView {
  application: OpenApplicationView;
  token: string;
}
