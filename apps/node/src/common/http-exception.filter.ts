import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
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

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof DomainRefusal) {
      const { status, body } = httpAnswerOf(exception);
      response.status(status).json(body);
      return;
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      response.status(exception.getStatus()).json(typeof body === 'string' ? { statusCode: exception.getStatus(), message: body } : body);
      return;
    }
    const status = clientErrorStatus(exception);
    if (status) {
      const error = status === HttpStatus.PAYLOAD_TOO_LARGE ? 'Payload Too Large' : 'Bad Request';
      response.status(status).json({ statusCode: status, error, message: (exception as Error).message });
      return;
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    response.status(HttpStatus.INTERNAL_SERVER_ERROR).json({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  }
}

function clientErrorStatus(exception: unknown): number | undefined {
  const status = (exception as { status?: unknown; type?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
