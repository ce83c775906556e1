import type { Operations } from '../../api/client';

export type AuditQuery = NonNullable<Operations['GET /api/v1/audit']['query']>;

/** The filter form as typed: free text, and times as a datetime-local input gives them. */
export interface AuditFilters {
  actor: string;
  action: string;
  target: string;
  outcome: string;
  /** `YYYY-MM-DDTHH:mm`, read in the province's time (Asia/Shanghai), as the page shows times. */
  from: string;
  to: string;
  order: 'asc' | 'desc';
}

export const NO_FILTERS: AuditFilters = { actor: '', action: '', target: '', outcome: '', from: '', to: '', order: 'desc' };

/** Records per page of the log. */
export const AUDIT_PAGE_SIZE = 50;

/**
 * `2026-12-06T10:30` (Asia/Shanghai, which has no daylight saving) as the API wants it: ISO 8601
 * with its offset. Undefined for an empty or malformed value.
 */
export function shanghaiIso(local: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local.trim());
  if (!m) return undefined;
  return `${m[1]}T${m[2]}:${m[3]}:${m[4] ?? '00'}+08:00`;
}

/** The list's query: blank filters left out, text trimmed, times with the province's offset. */
export function auditQueryOf(filters: AuditFilters, cursor?: string, limit = AUDIT_PAGE_SIZE): AuditQuery {
  const query: AuditQuery = { limit, order: filters.order };
  const text = (value: string) => value.trim() || undefined;
  const actor = text(filters.actor);
  const action = text(filters.action);
  const target = text(filters.target);
  const outcome = text(filters.outcome);
  const from = shanghaiIso(filters.from);
  const to = shanghaiIso(filters.to);
  if (actor) query.actor = actor;
  if (action) query.action = action;
  if (target) query.target = target;
  if (outcome) query.outcome = outcome;
  if (from) query.from = from;
  if (to) query.to = to;
  if (cursor) query.cursor = cursor;
  return query;
}

/** The export's range: the same times as the list's filters (the export takes no other filter). */
export function exportQueryOf(filters: AuditFilters): NonNullable<Operations['GET /api/v1/audit/export']['query']> {
  const from = shanghaiIso(filters.from);
  const to = shanghaiIso(filters.to);
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** The file name the node gives in Content-Disposition, else one of our own. */
export function downloadNameOf(disposition: string | null, fallback: string): string {
  const m = disposition && /filename="?([^";]+)"?/i.exec(disposition);
  return m ? m[1] : fallback;
}
