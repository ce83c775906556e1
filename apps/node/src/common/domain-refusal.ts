import type { FieldProblem, RefusalKind, ReturnErrorBody, RuleRefusal } from '@tdx/contracts';

export type { FieldProblem, RefusalKind };
/** A rule of the regulation (or of the catalog) that refuses a request, with its article. */
export type Refusal = RuleRefusal;

interface RefusalParts {
  /** For `refused`: every rule that refuses, the first named on its own too. */
  refusals?: Refusal[];
  /** For `invalid`: every field at fault. */
  fields?: FieldProblem[];
  /** For a `conflict`: the field whose value conflicts. */
  field?: string;
  rule?: string;
  article?: string;
  /** More that the answer names (the missing keys of a delete); never the request's values. */
  details?: Record<string, unknown>;
  /** True when asking again cannot help (the grant is gone, the entry retired). */
  permanent?: boolean;
}

/**
 * What a service answers when it will not do what was asked, whatever carried the request: an HTTP
 * route, or a NATS message from another node. The kind says what sort of refusal it is; it is
 * mapped once to HTTP (http-answer.ts) and once to the return protocol's `return.error`.
 */
export class DomainRefusal extends Error {
  readonly refusals: Refusal[];
  readonly fields: FieldProblem[];
  readonly field?: string;
  readonly rule?: string;
  readonly article?: string;
  readonly details?: Record<string, unknown>;
  readonly permanent: boolean;

  constructor(
    readonly kind: RefusalKind,
    message: string,
    parts: RefusalParts = {},
  ) {
    super(message);
    this.name = 'DomainRefusal';
    this.refusals = parts.refusals ?? [];
    this.fields = parts.fields ?? [];
    this.field = parts.field;
    this.rule = parts.rule ?? this.refusals[0]?.rule;
    this.article = parts.article ?? this.refusals[0]?.article;
    this.details = parts.details;
    this.permanent = parts.permanent ?? false;
  }

  /** Malformed input: the fields at fault, in the shape of a failed DTO validation. */
  static invalid(fields: FieldProblem[]): DomainRefusal {
    return new DomainRefusal('invalid', 'Invalid request', { fields });
  }

  static forbidden(message: string, parts?: Pick<RefusalParts, 'rule' | 'article' | 'permanent'>): DomainRefusal {
    return new DomainRefusal('forbidden', message, parts);
  }

  static notFound(message: string, parts?: Pick<RefusalParts, 'details' | 'permanent'>): DomainRefusal {
    return new DomainRefusal('not-found', message, parts);
  }

  static conflict(message: string, field?: string): DomainRefusal {
    return new DomainRefusal('conflict', message, field ? { field } : {});
  }

  /** Rules of the regulation refuse it: at least one, each with its article. */
  static refused(refusals: [Refusal, ...Refusal[]] | Refusal[], parts?: Pick<RefusalParts, 'permanent'>): DomainRefusal {
    if (refusals.length === 0) throw new Error('a refusal names at least one rule');
    return new DomainRefusal('refused', refusals[0].message, { ...parts, refusals });
  }

  /** This node cannot answer now (another node, a limit): asking again later may work. */
  static unavailable(message: string): DomainRefusal {
    return new DomainRefusal('unavailable', message);
  }

  /** As the return protocol answers it to another node (`return.error`). */
  toWire(): ReturnErrorBody {
    return {
      kind: this.kind,
      message: this.message,
      ...(this.rule ? { rule: this.rule } : {}),
      ...(this.article ? { article: this.article } : {}),
      permanent: this.permanent,
    };
  }

  /** A holder's `return.error`, to be answered to this node's client as the holder's own refusal. */
  static fromWire(body: ReturnErrorBody): DomainRefusal {
    const { kind, message, rule, article, permanent } = body;
    if (kind === 'refused') return DomainRefusal.refused([{ rule: rule ?? 'refused-by-holder', article: article ?? '', message }], { permanent });
    // The holder's `invalid` is about this node's message, not about fields of the client's input.
    if (kind === 'invalid') return new DomainRefusal('invalid', message, { fields: [], permanent });
    return new DomainRefusal(kind, message, { rule, article, permanent });
  }
}
