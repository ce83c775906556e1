import { applyDecorators, Type } from '@nestjs/common';
import { ApiProperty, type ApiPropertyOptions, ApiResponse } from '@nestjs/swagger';
import type { ErrorView, FieldProblem, Page, RefusalKind, RuleRefusal } from '@tdx/contracts';
import { HTTP_OF_REFUSAL } from './http-answer';

/*
 * How the API's answers appear in the OpenAPI document. The answers are interfaces in
 * libs/contracts, which have no runtime form: each feature describes them with small classes in
 * its `dto/*.view.ts` that `implements` the contract view (so the compiler holds the two
 * together), with the property decorators below.
 */

/** OpenAPI's `integer`: Nest maps the class Number to `number`, so integers name their type. */
const Integer = 'integer';

/** What a property may add to its type: `required: false` for a member that may be absent. */
interface Described {
  description?: string;
  example?: unknown;
  required?: boolean;
}

/** Property decorators for view classes: the OpenAPI type of each property, said once here. */
export const View = {
  text: (o: Described = {}) => ApiProperty({ type: String, ...o }),
  textOrNull: (o: Described = {}) => ApiProperty({ type: String, nullable: true, ...o }),
  time: (o: Described = {}) => ApiProperty({ type: String, format: 'date-time', ...o }),
  timeOrNull: (o: Described = {}) => ApiProperty({ type: String, format: 'date-time', nullable: true, ...o }),
  uuid: (o: Described = {}) => ApiProperty({ type: String, format: 'uuid', ...o }),
  int: (o: Described = {}) => ApiProperty({ type: Integer, ...o }),
  intOrNull: (o: Described = {}) => ApiProperty({ type: Integer, nullable: true, ...o }),
  number: (o: Described = {}) => ApiProperty({ type: Number, ...o }),
  numberOrNull: (o: Described = {}) => ApiProperty({ type: Number, nullable: true, ...o }),
  bool: (o: Described = {}) => ApiProperty({ type: Boolean, ...o }),
  oneOf: (values: readonly string[], o: Described & { nullable?: boolean } = {}) => ApiProperty({ enum: [...values], ...o }),
  texts: (o: Described = {}) => ApiProperty({ type: [String], ...o }),
  /** A JSON object whose members depend on the entry (a row's data items, an audit record's details). */
  // Nest's typings leave out `type: 'object'` (the class Object would become a schema named Object).
  json: (o: Described = {}) => ApiProperty({ type: 'object', additionalProperties: true, ...o } as ApiPropertyOptions),
  /** Another view class, one or (`[Class]`) a list. */
  of: (type: Type<unknown> | [Type<unknown>], o: Described & { nullable?: boolean } = {}) => ApiProperty({ type, ...o }),
};

/** The view class of a page of `item`s (the generic Page<T> of libs/contracts); extend it to name the page. */
export function PageViewOf<T>(item: Type<T>): Type<Page<T>> {
  class PageView implements Page<T> {
    @View.of([item])
    items!: T[];

    @View.textOrNull({ description: 'Passed back as `cursor` for the next page; null on the last page.' })
    nextCursor!: string | null;
  }
  return PageView;
}

class FieldProblemView implements FieldProblem {
  @View.text()
  field!: string;

  @View.int({ required: false, description: 'In a bulk request, the item at fault, counted from 1.' })
  row?: number;

  @View.texts()
  messages!: string[];
}

class RuleRefusalView implements RuleRefusal {
  @View.text({ example: 'share-type-none' })
  rule!: string;

  @View.text({ example: 'Article 15' })
  article!: string;

  @View.text()
  message!: string;
}

/** The refusal body of every 4xx and 503 (docs/operator-guide.md, "Errors"). */
export class ErrorViewDto implements ErrorView {
  @View.int({ example: 422 })
  statusCode!: number;

  @View.text({ example: 'Unprocessable Entity' })
  error!: string;

  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] })
  message!: string | string[];

  @View.of([FieldProblemView], { required: false, description: '400: every field at fault.' })
  fields?: FieldProblem[];

  @View.text({ required: false, description: '409: the field whose value conflicts.' })
  field?: string;

  @View.text({ required: false, description: '422: the first rule that refuses.' })
  rule?: string;

  @View.text({ required: false, description: "422: that rule's article of the regulation." })
  article?: string;

  @View.of([RuleRefusalView], { required: false, description: '422: every rule that refuses, each with its article.' })
  refusals?: RuleRefusal[];

  @View.texts({ required: false, description: '404 of a bulk row deletion: the row keys that have no row.' })
  missing?: string[];
}

/** The kinds of domain refusal, and two the HTTP side adds: no valid token (401), too much at once for this asker (429). */
type DocumentedRefusal = RefusalKind | 'unauthenticated' | 'busy';

const STATUS: Record<DocumentedRefusal, number> = {
  ...(Object.fromEntries(Object.entries(HTTP_OF_REFUSAL).map(([kind, { status }]) => [kind, status])) as Record<RefusalKind, number>),
  unauthenticated: 401,
  busy: 429,
};

const MEANING: Record<DocumentedRefusal, string> = {
  invalid: 'Malformed input: `fields` names every field at fault; nothing was changed.',
  unauthenticated: 'No valid access token.',
  forbidden: 'The account may not do this.',
  'not-found': 'Nothing by that name here.',
  conflict: 'In conflict with what exists: `field` names the value.',
  refused: 'Refused by a rule of the regulation: `rule`, `article` and every rule in `refusals`.',
  unavailable: 'This node cannot answer now (another node, its own limit): ask again later (Retry-After when set).',
  busy: "The asker's share of this kind of work is in use: ask again after Retry-After.",
};

/** The refusals an operation may answer with, each in the one refusal shape (ErrorViewDto). */
export function ApiRefusals(...kinds: DocumentedRefusal[]): MethodDecorator & ClassDecorator {
  return applyDecorators(...kinds.map((kind) => ApiResponse({ status: STATUS[kind], description: MEANING[kind], type: ErrorViewDto })));
}
