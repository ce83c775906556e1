import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { ApiError, type ApiErrorBody, NotSignedInError, UnreachableError } from './errors';
import type { Session } from './session';

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

  constructor(
    base: string,
    private readonly timeoutMs = 30_000,
    private readonly session?: Session,
  ) {
    this.base = base.replace(/\/+$/, '');
  }

  /** A JSON request with the session's access token; a 401 refreshes the session once and retries. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.base}${path}`;
    let response = await this.send(method, url, body, await this.session?.token());
    if (response.status === 401 && this.session) {
      await response.text().catch(() => undefined);
      response = await this.send(method, url, body, await this.session.renewAfterRefusal());
    }
    const parsed = parseBody(await response.text());
    if (response.status === 401) throw this.notSignedIn(parsed);
    if (!response.ok) throw new ApiError(method, url, response.status, (parsed ?? '') as ApiErrorBody | string);
    return parsed as T;
  }

  /**
   * A GET whose answer is read as a stream (an export of any length): the time limit covers the
   * wait for the answer to begin, not the reading of it. Errors as json().
   */
  async download(path: string, extraHeaders: Record<string, string> = {}): Promise<Response> {
    const url = `${this.base}${path}`;
    const attempt = async (token: string | undefined): Promise<Response> => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), this.timeoutMs);
      try {
        return await fetch(url, { headers: { ...extraHeaders, ...(token ? { authorization: `Bearer ${token}` } : {}) }, signal: controller.signal });
      } catch (error) {
        const code = controller.signal.aborted ? 'timed out' : networkCode(error);
        throw new UnreachableError(this.base, code, error);
      } finally {
        clearTimeout(timer);
      }
    };
    let response = await attempt(await this.session?.token());
    if (response.status === 401 && this.session) {
      await response.text().catch(() => undefined);
      response = await attempt(await this.session.renewAfterRefusal());
    }
    if (response.ok) return response;
    const parsed = parseBody(await response.text());
    if (response.status === 401) throw this.notSignedIn(parsed);
    throw new ApiError('GET', url, response.status, (parsed ?? '') as ApiErrorBody | string);
  }

  private async send(method: string, url: string, body: unknown, token: string | undefined): Promise<Response> {
    const headers: Record<string, string> =
      body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      return await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const code = (error as Error).name === 'TimeoutError' ? 'timed out' : networkCode(error);
      throw new UnreachableError(this.base, code, error);
    }
  }

  private notSignedIn(body: unknown): NotSignedInError {
    const message =
      typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
        ? (body as { message: string }).message
        : 'sign in first';
    return new NotSignedInError(`the node ${this.base} refused: ${message}; run tdx login --node ${this.base}`, this.base);
  }

  /**
   * POSTs a stream as the body (no buffering: the file is read as the socket drains). `onResponse` fires
   * as soon as the node answers, which may be before the body is sent (an early 4xx): the caller stops
   * sending then.
   */
  async upload<T>(path: string, body: Readable, headers: Record<string, string>): Promise<T> {
    // A stream cannot be sent twice: the token is refreshed before, not after a 401.
    const token = await this.session?.token();
    return this.uploadWith<T>(path, body, token ? { ...headers, authorization: `Bearer ${token}` } : headers);
  }

  private uploadWith<T>(path: string, body: Readable, headers: Record<string, string>): Promise<T> {
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
          else if (status === 401) reject(this.notSignedIn(parsed));
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
