import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, type Uploader } from './client';

/** A session whose token is renewed once by `refresh` (or not at all). */
function hooks(refreshes: boolean) {
  let token = 'old';
  const seen = { refreshed: 0, expired: 0 };
  return {
    seen,
    session: {
      accessToken: () => token,
      refresh: () => {
        seen.refreshed++;
        if (refreshes) token = 'new';
        return Promise.resolve(refreshes);
      },
      expired: () => {
        seen.expired++;
        token = 'after-sign-in';
        return Promise.resolve();
      },
    },
  };
}

const json = (status: number, body: object) => ({ status, statusText: '', contentType: 'application/json; charset=utf-8', text: JSON.stringify(body) });
const noFetch: typeof fetch = () => Promise.reject(new Error('upload must not use fetch'));

describe('ApiClient.upload', () => {
  it('sends the file with its media type and token, reports progress, and returns the answer', async () => {
    const requests: { url: string; headers: Record<string, string>; size: number }[] = [];
    const uploader: Uploader = ({ url, headers, body, onProgress }) => {
      requests.push({ url, headers, size: body.size });
      onProgress?.({ loaded: body.size / 2, total: body.size });
      onProgress?.({ loaded: body.size, total: body.size });
      return Promise.resolve(json(201, { entryId: 'e 1', rowsRead: 2 }));
    };
    const { session } = hooks(true);
    const progress: number[] = [];
    const answer = await new ApiClient(session, noFetch, uploader).upload('POST /api/v1/datasets/{entryId}/rows', {
      path: { entryId: 'e 1' },
      file: new Blob(['row_key,region_code\nk,330106\n']),
      contentType: 'text/csv',
      onProgress: (p) => progress.push(p.loaded / p.total),
    });
    expect(answer).toEqual({ entryId: 'e 1', rowsRead: 2 });
    expect(requests).toEqual([
      { url: '/api/v1/datasets/e%201/rows', headers: { accept: 'application/json', 'content-type': 'text/csv', authorization: 'Bearer old' }, size: 29 },
    ]);
    expect(progress).toEqual([0.5, 1]);
  });

  it('refreshes once on a 401 and sends again with the new token', async () => {
    const tokens: string[] = [];
    const uploader: Uploader = ({ headers }) => {
      tokens.push(headers.authorization);
      return Promise.resolve(tokens.length === 1 ? json(401, { statusCode: 401, message: 'expired' }) : json(201, { rowsRead: 1 }));
    };
    const { session, seen } = hooks(true);
    await new ApiClient(session, noFetch, uploader).upload('POST /api/v1/datasets/{entryId}/rows', {
      path: { entryId: 'e' },
      file: new Blob(['x']),
      contentType: 'text/csv',
    });
    expect(tokens).toEqual(['Bearer old', 'Bearer new']);
    expect(seen).toEqual({ refreshed: 1, expired: 0 });
  });

  it('waits for the in-place sign-in when the session has ended', async () => {
    const tokens: string[] = [];
    const uploader: Uploader = ({ headers }) => {
      tokens.push(headers.authorization);
      return Promise.resolve(tokens.length === 1 ? json(401, { statusCode: 401, message: 'expired' }) : json(201, { rowsRead: 1 }));
    };
    const { session, seen } = hooks(false);
    await new ApiClient(session, noFetch, uploader).upload('POST /api/v1/datasets/{entryId}/rows', {
      path: { entryId: 'e' },
      file: new Blob(['x']),
      contentType: 'text/csv',
    });
    expect(tokens).toEqual(['Bearer old', 'Bearer after-sign-in']);
    expect(seen).toEqual({ refreshed: 1, expired: 1 });
  });

  it("throws an ApiError carrying the refusal's errors by line", async () => {
    const body = {
      statusCode: 400,
      error: 'Bad Request',
      message: 'upload refused',
      errors: [{ line: 3, message: 'amount: not an integer' }],
      truncated: false,
    };
    const uploader: Uploader = () => Promise.resolve(json(400, body));
    const error = await new ApiClient(hooks(true).session, noFetch, uploader)
      .upload('POST /api/v1/datasets/{entryId}/rows', { path: { entryId: 'e' }, file: new Blob(['x']), contentType: 'text/csv' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).view).toMatchObject({ errors: [{ line: 3, message: 'amount: not an integer' }], truncated: false });
  });
});
