import { render, screen } from '@testing-library/react';
import { useEffect, useState } from 'react';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { SessionTestProvider, useSession } from './session';

function Probe() {
  const { api, can, node } = useSession();
  const [answer, setAnswer] = useState('');
  useEffect(() => {
    api.call('GET /api/v1/catalog/entries/{id}', { path: { id: 'e1' } }).then(
      (entry) => setAnswer(entry.name),
      (e: unknown) => setAnswer(`refused ${(e as ApiError).status}`),
    );
  }, [api]);
  return <p>{`${node.code} ${can('catalog:write') ? 'writer' : 'reader'} ${answer}`}</p>;
}

describe('SessionTestProvider', () => {
  it('gives the page a session whose API calls go to the fake fetch, with the bearer token', async () => {
    const seen: string[] = [];
    const fetch: typeof globalThis.fetch = (input, init) => {
      seen.push(`${init?.method} ${String(input)} ${(init?.headers as Record<string, string>).authorization}`);
      return Promise.resolve(new Response(JSON.stringify({ name: 'Permits' }), { headers: { 'content-type': 'application/json' } }));
    };
    render(
      <SessionTestProvider fetch={fetch} permissions={['catalog:write']} node={{ code: '330100' }}>
        <Probe />
      </SessionTestProvider>,
    );
    expect(await screen.findByText('330100 writer Permits')).toBeTruthy();
    expect(seen).toEqual(['GET /api/v1/catalog/entries/e1 Bearer test-token']);
  });

  it('turns a 401 into a plain refusal (no refresh, no sign-in dialog)', async () => {
    const fetch: typeof globalThis.fetch = () => Promise.resolve(new Response(JSON.stringify({ statusCode: 401, message: 'no' }), { status: 401 }));
    render(
      <SessionTestProvider fetch={fetch}>
        <Probe />
      </SessionTestProvider>,
    );
    expect(await screen.findByText('330106 reader refused 401')).toBeTruthy();
  });
});
