import { HttpException, HttpStatus, PayloadTooLargeException } from '@nestjs/common';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { ServerResponse } from 'node:http';
import { DomainRefusal } from '../common/domain-refusal';
import { formatByteSize } from '../config/byte-size';

/** 414 for a URL longer than the limit (MAX_URL_LENGTH), before any route sees it. */
export function urlLengthLimit(maxLength: number): RequestHandler {
  return (request, _response, next) => {
    if (request.originalUrl.length <= maxLength) return next();
    next(
      new HttpException(
        { statusCode: HttpStatus.URI_TOO_LONG, error: 'URI Too Long', message: `the URL is longer than ${maxLength} characters (MAX_URL_LENGTH)` },
        HttpStatus.URI_TOO_LONG,
      ),
    );
  };
}

/** Turns the JSON body parser's "request entity too large" into a 413 that names the limit. */
export function jsonBodyTooLarge(limitBytes: number): ErrorRequestHandler {
  return (error: unknown, _request, _response, next) => {
    if ((error as { type?: unknown } | undefined)?.type !== 'entity.too.large') return next(error);
    next(
      new PayloadTooLargeException({
        statusCode: HttpStatus.PAYLOAD_TOO_LARGE,
        error: 'Payload Too Large',
        message: `the JSON body is larger than ${formatByteSize(limitBytes)} (JSON_BODY_LIMIT); nothing was changed`,
      }),
    );
  };
}

/**
 * How deep a JSON body may nest (an object or array in another counts one level). The deepest DTO
 * needs four; anything far beyond is hostile, and the recursive code after the parser
 * (class-transformer, class-validator) would overflow the stack on it.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * 400 for a parsed JSON body nested deeper than `maxDepth`, naming the top-level property it
 * happens under, before any route, pipe or log sees the body. Walks with an explicit stack.
 */
export function jsonBodyDepthLimit(maxDepth: number = MAX_JSON_DEPTH): RequestHandler {
  return (request, _response, next) => {
    const field = tooDeep(request.body as unknown, maxDepth);
    if (field === undefined) return next();
    next(DomainRefusal.invalid([{ field, messages: [`${field} is nested deeper than ${maxDepth} levels`] }]));
  };
}

/** The top-level property (or `body`) under which `value` nests deeper than `maxDepth`, if it does. */
function tooDeep(value: unknown, maxDepth: number): string | undefined {
  const pending: { value: unknown; depth: number; field: string }[] = [{ value, depth: 0, field: 'body' }];
  while (pending.length > 0) {
    const next = pending.pop() as { value: unknown; depth: number; field: string };
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth >= maxDepth) return next.field;
    const topLevel = next.depth === 0 && !Array.isArray(next.value);
    for (const [key, child] of Object.entries(next.value)) {
      if (child !== null && typeof child === 'object') pending.push({ value: child, depth: next.depth + 1, field: topLevel ? key : next.field });
    }
  }
  return undefined;
}

/** 413 for a dataset upload larger than UPLOAD_BODY_LIMIT. */
export class UploadTooLargeException extends PayloadTooLargeException {
  constructor(limitBytes: number) {
    super({
      statusCode: HttpStatus.PAYLOAD_TOO_LARGE,
      error: 'Payload Too Large',
      message: `the upload is larger than ${formatByteSize(limitBytes)} (UPLOAD_BODY_LIMIT, counted after gzip decompression); nothing was loaded`,
    });
  }
}

/**
 * Refuses an upload whose declared Content-Length exceeds the limit before a byte of it is read.
 * The connection is closed after the answer, so the rest of the body is not read either.
 */
export function refuseDeclaredOversize(request: Request, limitBytes: number): void {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    closeAfterAnswer(request);
    throw new UploadTooLargeException(limitBytes);
  }
}

/**
 * The chunks of an upload, ending it with UploadTooLargeException once more than `limitBytes`
 * have passed. The source is not destroyed on that error (its socket carries the 413 answer);
 * the connection closes after the answer.
 */
export async function* limitBytes(source: AsyncIterable<Buffer>, request: object, limitBytes: number): AsyncGenerator<Buffer> {
  let seen = 0;
  const chunks =
    'iterator' in source && typeof source.iterator === 'function'
      ? (source.iterator as (options: { destroyOnReturn: boolean }) => AsyncIterable<Buffer>)({ destroyOnReturn: false })
      : source;
  for await (const chunk of chunks) {
    seen += chunk.length;
    if (seen > limitBytes) {
      closeAfterAnswer(request);
      throw new UploadTooLargeException(limitBytes);
    }
    yield chunk;
  }
}

/** Asks Node to close the connection once the answer is sent (on an HTTP request; anything else is left alone). */
function closeAfterAnswer(request: object): void {
  const response = (request as { res?: Pick<ServerResponse, 'headersSent' | 'setHeader'> }).res;
  if (response && !response.headersSent) response.setHeader('Connection', 'close');
}
