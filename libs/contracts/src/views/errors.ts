import type { FieldProblem, RuleRefusal } from '../refusal';

/**
 * The body of every refusal (4xx, 503) of the HTTP API: a 400 names its `fields`, a 409 the `field`
 * in conflict, a 422 its `rule`, `article` and every rule in `refusals`.
 */
export interface ErrorView {
  statusCode: number;
  error: string;
  message: string | string[];
  fields?: FieldProblem[];
  field?: string;
  rule?: string;
  article?: string;
  refusals?: RuleRefusal[];
}
