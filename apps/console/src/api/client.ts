import type { OperationKey, Operations, Schemas } from './generated';

export type { Schemas, Operations, OperationKey };
export type ErrorView = Schemas['ErrorViewDto'];

type Op<K extends OperationKey> = Operations[K];
type PathArgs<K extends OperationKey> = Op<K>['path'] extends Record<string, never> ? { path?: undefined } : { path: Op<K>['path'] };
type BodyArgs<K extends OperationKey> = Op<K>['body'] extends undefined ? { body?: undefined } : { body: Op<K>['body'] };
/** What a call needs: the path's parameters, the query and the body, each typed by the node's OpenAPI document. */
export type CallInput<K extends OperationKey> = PathArgs<K> & BodyArgs<K> & { query?: Op<K>['query']; signal?: AbortSignal };
export type Answer<K extends OperationKey> = Op<K>['response'];

/** Routes whose 401 means wrong credentials, not an access token that ran out: never refreshed. */
const SIGN_IN_ROUTES = new Set(['/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/logout', '/api/v1/auth/setup']);

/** A refusal of the API (4xx/5xx), with the node's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly view: ErrorView,
  ) {
    super(Array.isArray(view.message) ? view.message.join('; ') : view.message);
  }
}

/** The node could not be reached at all (network down, node stopped). */
export class UnreachableError extends Error {}

/**
 * How the client keeps its session. The access token lives in memory only; the refresh token is an
 * HttpOnly cookie the page's scripts cannot read (X-TDX-Session: cookie), so a script injected into
 * the page could use the session while the page is open but not carry it away.
 */
export interface SessionHooks {
  /** The access token to send, or undefined before sign-in. */
  accessToken(): string | undefined;
  /** Trades the refresh cookie for a new access token; false when the session has ended. */
  refresh(): Promise<boolean>;
  /** The session has ended: resolves once the user has signed in again (the page keeps its state meanwhile). */
  expired(): Promise<void>;
}

/** `/api/v1/x/{id}` with the path's parameters, each encoded. */
export function urlOf(template: string, path: Record<string, string> | undefined, query: Record<string, unknown> | undefined): string {
  const filled = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = path?.[name];
    if (value === undefined || value === '') throw new Error(`missing path parameter ${name} of ${template}`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => search.append(name, String(v)));
    else search.set(name, String(value));
  }
  const qs = search.toString();
  return qs ? `${filled}?${qs}` : filled;
}

async function errorViewOf(response: Response): Promise<ErrorView> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<ErrorView>;
    if (body && typeof body === 'object' && 'message' in body)
      return { statusCode: response.status, error: body.error ?? response.statusText, ...body } as ErrorView;
  } catch {
    // Not JSON: a proxy's page, say.
  }
  return { statusCode: response.status, error: response.statusText, message: text.slice(0, 200) || response.statusText };
}

/** How far an upload has gone: bytes sent of the file's size. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/** What an upload needs: the path's parameters, the file (sent as it is, with its media type) and progress. */
export type UploadInput<K extends OperationKey> = PathArgs<K> & {
  file: Blob;
  contentType: string;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
};

/** The answer as a Response would give it, from an XMLHttpRequest (which alone reports upload progress). */
interface RawAnswer {
  status: number;
  statusText: string;
  contentType: string;
  text: string;
}

/** Sends one request with XMLHttpRequest; replaceable in tests like `fetch`. */
export type Uploader = (request: {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Blob;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}) => Promise<RawAnswer>;

export const xhrUploader: Uploader = ({ method, url, headers, body, onProgress, signal }) =>
  new Promise<RawAnswer>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.withCredentials = true;
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onProgress) xhr.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : body.size });
    xhr.onload = () =>
      resolve({ status: xhr.status, statusText: xhr.statusText, contentType: xhr.getResponseHeader('content-type') ?? '', text: xhr.responseText });
    xhr.onerror = () => reject(new UnreachableError(`${method} ${url}: network error`));
    xhr.onabort = () => reject(new DOMException('upload aborted', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });

/** The console's API client: one method, typed per operation by the generated OpenAPI types. */
export class ApiClient {
  constructor(
    private readonly session: SessionHooks,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
    private readonly uploader: Uploader = xhrUploader,
  ) {}

  /**
   * Sends a file with upload progress (fetch reports none), under the same session rules as `call`:
   * the bearer token, one refresh on a 401, the in-place sign-in when the session has ended.
   * A refusal throws ApiError whose `view` is the whole body (an upload's `errors` by line included).
   */
  async upload<K extends OperationKey>(operation: K, input: UploadInput<K>): Promise<Answer<K>> {
    const [method, template] = (operation as string).split(' ');
    const url = urlOf(template, input.path as Record<string, string> | undefined, undefined);
    const attempt = (): Promise<RawAnswer> => {
      const headers: Record<string, string> = { accept: 'application/json', 'content-type': input.contentType };
      const token = this.session.accessToken();
      if (token) headers.authorization = `Bearer ${token}`;
      return this.uploader({ method, url, headers, body: input.file, onProgress: input.onProgress, signal: input.signal });
    };
    let answer = await attempt();
    if (answer.status === 401) {
      if (!(await this.session.refresh())) await this.session.expired();
      answer = await attempt();
    }
    const response = new Response(answer.status === 204 ? null : answer.text, {
      status: answer.status,
      statusText: answer.statusText,
      headers: { 'content-type': answer.contentType },
    });
    if (!response.ok) throw new ApiError(response.status, await errorViewOf(response));
    if (response.status === 204) return undefined as Answer<K>;
    return (answer.contentType.includes('application/json') ? await response.json() : await response.text()) as Answer<K>;
  }

  async call<K extends OperationKey>(operation: K, input: CallInput<K> = {} as CallInput<K>): Promise<Answer<K>> {
    const response = await this.send(operation, input);
    if (response.status === 204) return undefined as Answer<K>;
    const type = response.headers.get('content-type') ?? '';
    return (type.includes('application/json') ? await response.json() : await response.text()) as Answer<K>;
  }

  /** The raw answer of a successful call (downloads: CSV, NDJSON). */
  async send<K extends OperationKey>(operation: K, input: CallInput<K> = {} as CallInput<K>): Promise<Response> {
    const [method, template] = (operation as string).split(' ');
    const url = urlOf(template, input.path as Record<string, string> | undefined, input.query as Record<string, unknown> | undefined);
    const body = input.body;
    const json = body !== undefined && !(body instanceof Blob) && !(body instanceof FormData) && typeof body !== 'string';
    const attempt = async (): Promise<Response> => {
      const headers: Record<string, string> = { accept: 'application/json' };
      const token = this.session.accessToken();
      if (token) headers.authorization = `Bearer ${token}`;
      if (json) headers['content-type'] = 'application/json';
      try {
        return await this.fetcher(url, {
          method,
          headers,
          body: json ? JSON.stringify(body) : (body as BodyInit | undefined),
          signal: input.signal,
          credentials: 'same-origin',
        });
      } catch (error) {
        if ((error as Error).name === 'AbortError') throw error;
        throw new UnreachableError((error as Error).message);
      }
    };
    let response = await attempt();
    if (response.status === 401 && !SIGN_IN_ROUTES.has(template)) {
      // The access token ran out: refresh it; if the session itself has ended, sign in again in place.
      if (!(await this.session.refresh())) await this.session.expired();
      response = await attempt();
    }
    if (!response.ok) throw new ApiError(response.status, await errorViewOf(response));
    return response;
  }
}
