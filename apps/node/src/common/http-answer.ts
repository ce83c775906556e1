import { HttpException, HttpStatus } from '@nestjs/common';
import { DomainRefusal, RefusalKind } from './domain-refusal';

/** The HTTP status of each kind of refusal, said once (also for the OpenAPI document). */
export const HTTP_OF_REFUSAL: Record<RefusalKind, { status: number; error: string }> = {
  invalid: { status: HttpStatus.BAD_REQUEST, error: 'Bad Request' },
  forbidden: { status: HttpStatus.FORBIDDEN, error: 'Forbidden' },
  'not-found': { status: HttpStatus.NOT_FOUND, error: 'Not Found' },
  conflict: { status: HttpStatus.CONFLICT, error: 'Conflict' },
  refused: { status: HttpStatus.UNPROCESSABLE_ENTITY, error: 'Unprocessable Entity' },
  unavailable: { status: HttpStatus.SERVICE_UNAVAILABLE, error: 'Service Unavailable' },
};

/**
 * A domain refusal as HTTP answers it, in the shapes of docs/operator-guide.md "Errors": a 400
 * names its fields, a 409 the field in conflict, a 422 its rule, article and every refusal.
 */
export function httpAnswerOf(refusal: DomainRefusal): { status: number; body: Record<string, unknown> } {
  const { status, error } = HTTP_OF_REFUSAL[refusal.kind];
  const body: Record<string, unknown> = { statusCode: status, error, message: refusal.message };
  switch (refusal.kind) {
    case 'invalid':
      body.fields = refusal.fields;
      break;
    case 'refused':
      Object.assign(body, { rule: refusal.rule, article: refusal.article, refusals: refusal.refusals });
      break;
    case 'conflict':
      if (refusal.field) body.field = refusal.field;
      break;
    default:
      if (refusal.rule) Object.assign(body, { rule: refusal.rule, article: refusal.article });
  }
  return { status, body: { ...body, ...refusal.details } };
}

/** The status and body of anything thrown that HTTP answers as a client error, or undefined. */
export function clientErrorOf(error: unknown): { status: number; body: unknown } | undefined {
  if (error instanceof DomainRefusal) return httpAnswerOf(error);
  if (error instanceof HttpException) return { status: error.getStatus(), body: error.getResponse() };
  return undefined;
}
