import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../../i18n/i18n';
import { SessionTestProvider } from '../../session/session';
import { RouterProvider } from '../../app/router';
import { CatalogPage } from './CatalogPage';

function page(items: object[], nextCursor: string | null = null, extra: object = {}) {
  return new Response(JSON.stringify({ items, nextCursor, ...extra }), { headers: { 'content-type': 'application/json' } });
}

const entry = (id: string, name: string) => ({
  id,
  origin: '330106',
  code: `C-${id}`,
  type: 'data',
  name,
  summary: '',
  providerId: 'p',
  category: 'c',
  grade: 'L1',
  shareType: 'unconditional',
  shareCondition: null,
  legalBasis: null,
  openType: 'unconditional',
  updateCycle: 'daily',
  format: null,
  regionScope: '330106',
  dataItems: [],
  relatedResources: [],
  releaseDate: null,
  status: 'active',
  version: 1,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
});

describe('CatalogPage filters', () => {
  it('turn the chosen filters into the query of the list, and the province toggle into a search', async () => {
    window.history.replaceState(null, '', '/catalog');
    const asked: string[] = [];
    const fetch: typeof globalThis.fetch = (input) => {
      asked.push(String(input));
      return Promise.resolve(
        String(input).startsWith('/api/v1/search') ? page([entry('2', 'Province hit')], null, { scope: 'subtree' }) : page([entry('1', 'Local entry')], 'next'),
      );
    };
    render(
      <I18nProvider locale="en">
        <RouterProvider>
          <SessionTestProvider fetch={fetch} permissions={['catalog:read']}>
            <CatalogPage params={{}} />
          </SessionTestProvider>
        </RouterProvider>
      </I18nProvider>,
    );
    await screen.findByRole('link', { name: 'Local entry' });
    expect(screen.queryByText(/cannot be reached/)).toBeNull();
    expect(asked).toEqual(['/api/v1/catalog/entries?limit=50&scope=subtree&status=active']);
    // Without catalog:write there is nothing to register.
    expect(screen.queryByRole('link', { name: 'Register entry' })).toBeNull();

    fireEvent.change(screen.getByLabelText('Keywords'), { target: { value: '许可' } });
    fireEvent.change(screen.getByLabelText('Type'), { target: { value: 'data' } });
    fireEvent.change(screen.getByLabelText('Scope'), { target: { value: 'local' } });
    fireEvent.change(screen.getByLabelText(/^Registered at/), { target: { value: '330106' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await screen.findByText('Local entry');
    await waitFor(() => asked.length === 2);
    expect(asked[1]).toBe(`/api/v1/catalog/entries?limit=50&q=${encodeURIComponent('许可')}&type=data&scope=local&status=active&origin=330106`);
    expect(window.location.search).toContain('scope=local');

    fireEvent.click(screen.getByLabelText('Province-wide (sharing channel)'));
    await screen.findByRole('link', { name: 'Province hit' });
    expect(asked[2]).toBe(`/api/v1/search?limit=50&q=${encodeURIComponent('许可')}&type=data&status=active&origin=330106`);
    expect(screen.queryByLabelText('Scope')).toBeNull();
    // The search answered from the subtree only (the province unreachable): the page says so.
    expect(screen.getByRole('status').textContent).toContain('The province cannot be reached now');
  });
});

async function waitFor(condition: () => boolean) {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}
