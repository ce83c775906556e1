import { request as httpRequest } from 'node:http';

export interface SlowUpload {
  /** Bytes of the body written so far. */
  readonly sent: number;
  /** The answer, once the whole body is sent and the node replied; status 0 if the client aborted. */
  readonly answer: Promise<{ status: number; body: unknown }>;
}

/**
 * A slow client: POSTs `body` (chunked, no Content-Length) one byte every `intervalMs`. With
 * `abortAfter`, it cuts the connection once that many bytes are sent, as a client that goes away.
 */
export function slowUpload(url: string, headers: Record<string, string>, body: Buffer, options: { intervalMs: number; abortAfter?: number }): SlowUpload {
  const state = { sent: 0 };
  const answer = new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (part: string) => (text += part));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }));
    });
    request.on('error', (error: NodeJS.ErrnoException) =>
      request.destroyed && options.abortAfter !== undefined ? resolve({ status: 0, body: undefined }) : reject(error),
    );
    const next = (): void => {
      if (request.destroyed) return;
      if (options.abortAfter !== undefined && state.sent >= options.abortAfter) {
        request.destroy();
        resolve({ status: 0, body: undefined });
        return;
      }
      if (state.sent === body.length) return void request.end();
      request.write(body.subarray(state.sent, state.sent + 1), () => {
        state.sent++;
        setTimeout(next, options.intervalMs);
      });
    };
    next();
  });
  return {
    get sent() {
      return state.sent;
    },
    answer,
  };
}
