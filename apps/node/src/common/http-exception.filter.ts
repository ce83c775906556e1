import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import { DomainRefusal } from './domain-refusal';
import { httpAnswerOf } from './http-answer';

/**
 * Answers every error as JSON. Domain refusals are answered by their kind (httpAnswerOf), and
 * HttpExceptions keep their status; anything else is a fault of
 * ours, logged with its stack and answered 500 without internals. Body-parser errors (bad JSON,
 * too large) carry a status and are answered as client errors.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  catch(thrown: unknown, host: ArgumentsHost): void {
    // Nest 12 wraps the body parser's errors in an HttpException; answer from the parser's own error, which says what was wrong.
    const cause = thrown instanceof HttpException ? thrown.cause : undefined;
    const exception = cause !== undefined && !(cause instanceof HttpException) && clientErrorStatus(cause) ? cause : thrown;
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof DomainRefusal) {
      const { status, body } = httpAnswerOf(exception);
      response.status(status).json(body);
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      // Nest 12 turns some body-parser errors into HttpExceptions with no `error`: every refusal names its status.
      const error = STATUS_CODES[status] ?? 'Error';
      response.status(status).json(typeof body === 'string' ? { statusCode: status, error, message: body } : { error, ...body });
      return;
    }
    const status = clientErrorStatus(exception);
    if (status) {
      // Express's and the body parser's errors (bad JSON 400, 413, another charset or encoding 415).
      const error = STATUS_CODES[status] ?? 'Bad Request';
      response.status(status).json({ statusCode: status, error, message: clientErrorMessage(exception as Error & { type?: unknown }, error) });
      return;
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    response.status(HttpStatus.INTERNAL_SERVER_ERROR).json({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  }
}

/** What the body parser's errors mean for the client; some carry only their status's name. */
function clientErrorMessage(exception: Error & { type?: unknown }, statusName: string): string {
  switch (exception.type) {
    case 'charset.unsupported':
      return `${exception.message}: send JSON bodies as UTF-8`;
    case 'encoding.unsupported':
      return `${exception.message}: send the JSON body as is, or gzip-, deflate- or br-compressed`;
    case 'request.aborted':
      return 'the client closed the connection before the body was complete';
    case 'request.size.invalid':
      return 'the body is shorter or longer than its Content-Length';
  }
  return exception.message && exception.message !== statusName
    ? exception.message
    : 'the request body could not be read: it does not match its Content-Encoding, or it ended early';
}

function clientErrorStatus(exception: unknown): number | undefined {
  const status = (exception as { status?: unknown; type?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
