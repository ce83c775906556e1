import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { ApiError, type ApiErrorBody, UnreachableError } from './errors';

export const DEFAULT_NODE_URL = 'http://localhost:3000';

/** The network error code under fetch's "fetch failed" or an http error (ECONNREFUSED, ENOTFOUND, ...). */
export function networkCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The operator API of one node. Every method throws ApiError on non-2xx and UnreachableError when there is no answer. */
export class NodeClient {
  readonly base: string;

  constructor(base: string, private readonly timeoutMs = 30_000) {
    this.base = base.replace(/\/+$/, '');
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.base}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const code = (error as Error).name === 'TimeoutError' ? 'timed out' : networkCode(error);
      throw new UnreachableError(this.base, code, error);
    }
    const parsed = parseBody(await response.text());
    if (!response.ok) throw new ApiError(method, url, response.status, (parsed ?? '') as ApiErrorBody | string);
    return parsed as T;
  }

  /**
   * POSTs a stream as the body (no buffering: the file is read as the socket drains). `onResponse` fires
   * as soon as the node answers, which may be before the body is sent (an early 4xx): the caller stops
   * sending then.
   */
  upload<T>(path: string, body: Readable, headers: Record<string, string>): Promise<T> {
    const url = new URL(`${this.base}${path}`);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        body.destroy();
        reject(error);
      };
      const req = request(url, { method: 'POST', headers: { accept: 'application/json', ...headers } }, (res: IncomingMessage) => {
        // The node has answered: whatever is left of the body is not wanted (an early refusal).
        body.unpipe(req);
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => fail(new UnreachableError(this.base, networkCode(error), error)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          body.destroy();
          // An early answer leaves the request unfinished: close its socket, or it holds the process until the server's keep-alive timeout.
          req.destroy();
          const status = res.statusCode ?? 0;
          const parsed = parseBody(Buffer.concat(chunks).toString('utf8'));
          if (status >= 200 && status < 300) resolve(parsed as T);
          else reject(new ApiError('POST', url.toString(), status, (parsed ?? '') as ApiErrorBody | string));
        });
      });
      req.on('error', (error) => {
        // The node may answer and close while we still send (an early 400): the answer wins over EPIPE.
        const code = networkCode(error);
        if (code === 'EPIPE' || code === 'ECONNRESET') {
          setTimeout(() => fail(new UnreachableError(this.base, code, error)), 2000).unref();
          return;
        }
        fail(new UnreachableError(this.base, code, error));
      });
      body.on('error', (error) => {
        req.destroy();
        fail(error);
      });
      body.pipe(req);
    });
  }
}
