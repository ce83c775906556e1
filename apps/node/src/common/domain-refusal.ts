import { HttpException, HttpStatus } from '@nestjs/common';

/** A rule of the regulation (or of the catalog) that refuses a request: 422 with the rule and the article. */
export interface Refusal {
  rule: string;
  article: string;
  message: string;
}

export class DomainRefusalException extends HttpException {
  constructor(readonly refusals: Refusal[]) {
    const [first] = refusals;
    super(
      {
        statusCode: HttpStatus.UNPROCESSABLE_ENTITY,
        error: 'Unprocessable Entity',
        message: first.message,
        rule: first.rule,
        article: first.article,
        refusals,
      },
      HttpStatus.UNPROCESSABLE_ENTITY,
    );
  }
}

export class ConflictError extends HttpException {
  constructor(message: string, field?: string) {
    super({ statusCode: HttpStatus.CONFLICT, error: 'Conflict', message, ...(field ? { field } : {}) }, HttpStatus.CONFLICT);
  }
}

export class NotFoundError extends HttpException {
  constructor(message: string) {
    super({ statusCode: HttpStatus.NOT_FOUND, error: 'Not Found', message }, HttpStatus.NOT_FOUND);
  }
}

/** 400 in the same shape as a failed DTO validation, for checks a decorator cannot express. */
export class BadFieldsException extends HttpException {
  constructor(fields: { field: string; row?: number; messages: string[] }[]) {
    super({ statusCode: HttpStatus.BAD_REQUEST, error: 'Bad Request', message: 'Invalid request', fields }, HttpStatus.BAD_REQUEST);
  }
}
