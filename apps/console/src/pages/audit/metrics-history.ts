import type { ApiClient } from '../../api/client';

/** The series GET /api/v1/metrics/history keeps (one sample a minute, 7 days). */
export const HISTORY_SERIES = ['link-lag-seconds', 'link-backlog', 'transfer-rows', 'http-requests'] as const;
export type HistorySeries = (typeof HISTORY_SERIES)[number];

export interface HistoryView {
  series: HistorySeries;
  points: { at: string; label: string | null; value: number }[];
}

export const RANGES = [
  { key: '1h', hours: 1 },
  { key: '24h', hours: 24 },
  { key: '7d', hours: 168 },
] as const;
export type RangeKey = (typeof RANGES)[number]['key'];

/**
 * One series over the last `hours`. Called through `send` with its own types: the endpoint came
 * with the console's node work, and this keeps the page building on either side of that merge.
 */
export async function loadHistory(api: ApiClient, series: HistorySeries, hours: number, signal?: AbortSignal): Promise<HistoryView> {
  const send = api.send.bind(api) as unknown as (operation: string, input: { query: Record<string, unknown>; signal?: AbortSignal }) => Promise<Response>;
  const response = await send('GET /api/v1/metrics/history', { query: { series, hours }, signal });
  return (await response.json()) as HistoryView;
}
