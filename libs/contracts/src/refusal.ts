/**
 * The kinds of refusal a node answers with, over HTTP and over NATS alike: malformed input, not
 * allowed, nothing by that name, in conflict with what exists, refused by a rule of the regulation,
 * and cannot answer now. Each transport maps a kind to its own form once (HTTP: 400, 403, 404, 409,
 * 422, 503).
 */
export const REFUSAL_KINDS = ['invalid', 'forbidden', 'not-found', 'conflict', 'refused', 'unavailable'] as const;
export type RefusalKind = (typeof REFUSAL_KINDS)[number];

/** A rule of the regulation (or of the catalog) that refuses a request, with its article. */
export interface RuleRefusal {
  rule: string;
  article: string;
  message: string;
}

/** One field at fault in malformed input; in a bulk upload the row too, counted from 1. */
export interface FieldProblem {
  field: string;
  row?: number;
  messages: string[];
}
