/**
 * The series `GET /api/v1/metrics/history` answers, one sample per minute each (kept 7 days):
 * - `link-lag-seconds`: per child link (label: the child's code), seconds between the origin
 *   committing the last applied record and this node applying it;
 * - `link-backlog`: per link (label: the peer's code), records waiting: in this node's stream for
 *   a child, in this node's outbox for its parent;
 * - `transfer-rows`: rows received here in that minute by return transfers and share deliveries;
 * - `http-requests`: requests this node answered in that minute (label: status class 2xx, 3xx, 4xx, 5xx).
 */
export const HISTORY_SERIES = ['link-lag-seconds', 'link-backlog', 'transfer-rows', 'http-requests'] as const;
export type HistorySeries = (typeof HISTORY_SERIES)[number];

/** How far back a history reaches at most: the samples are kept this long. */
export const HISTORY_MAX_HOURS = 168;

export interface HistoryPointView {
  /** The start of the sample's minute (ISO 8601). */
  at: string;
  /** The link's peer or the status class; null for a series without labels. */
  label: string | null;
  value: number;
}

export interface MetricsHistoryView {
  series: HistorySeries;
  /** Oldest first; by label within one minute. */
  points: HistoryPointView[];
}
