import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../../api/client';
import { I18nProvider } from '../../i18n/i18n';
import type { Locale } from '../../i18n/define';
import { AuditPage } from './AuditPage';

// A local stand-in for the signed-in session: the page only needs `api` (over a fake fetch here).
const calls: URL[] = [];
let verifyAnswer: unknown;
const fakeFetch = async (input: RequestInfo | URL) => {
  const url = new URL(String(input), 'http://node.test');
  calls.push(url);
  const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  if (url.pathname === '/api/v1/audit/verify') return json(verifyAnswer);
  const action = url.searchParams.get('action');
  const records = [
    {
      seq: 2,
      at: '2026-12-06T01:00:00Z',
      actor: 'user:admin',
      action: 'POST /api/v1/catalog/entries',
      target: 'e1',
      outcome: '201',
      details: {},
      prevHash: 'a',
      hash: 'b',
    },
    {
      seq: 1,
      at: '2026-12-06T00:00:00Z',
      actor: 'node:330100',
      action: 'replication.apply',
      target: null,
      outcome: 'applied',
      details: { n: 1 },
      prevHash: '0',
      hash: 'a',
    },
  ].filter((r) => !action || r.action === action);
  return json({ items: records, nextCursor: null });
};
const api = new ApiClient({ accessToken: () => 'token', refresh: async () => false, expired: async () => undefined }, fakeFetch as typeof fetch);
vi.mock('../../session/session', () => ({ useSession: () => ({ api, can: () => true }) }));

function page(locale: Locale = 'en') {
  return render(
    <I18nProvider locale={locale}>
      <AuditPage />
    </I18nProvider>,
  );
}

beforeEach(() => {
  calls.length = 0;
});

describe('AuditPage', () => {
  it('lists the records newest first and filters by action through the query', async () => {
    page();
    const table = await screen.findByRole('table', { name: 'Audit records' });
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(3));
    expect(calls[0].searchParams.get('order')).toBe('desc');
    fireEvent.change(screen.getByLabelText('Action', { exact: false }), { target: { value: 'replication.apply' } });
    fireEvent.change(screen.getByLabelText('Outcome', { exact: false }), { target: { value: ' applied ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Filter' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(2));
    const last = calls[calls.length - 1];
    expect(last.pathname).toBe('/api/v1/audit');
    expect(last.searchParams.get('action')).toBe('replication.apply');
    expect(last.searchParams.get('outcome')).toBe('applied');
    expect(last.searchParams.has('actor')).toBe(false);
    expect(within(table).getByText('replication.apply')).toBeTruthy();
  });

  it('shows an intact chain with the records checked', async () => {
    verifyAnswer = { node: '330000', ok: true, records: 1234, last: { seq: 1234, hash: 'f'.repeat(64) }, head: { seq: 1234, hash: 'f'.repeat(64) } };
    page();
    fireEvent.click(screen.getByRole('button', { name: 'Verify the chain' }));
    const status = await screen.findByRole('status');
    expect(status.textContent).toContain('The chain is intact.');
    expect(status.textContent).toContain('1,234 records checked; the last is #1234.');
  });

  it('names the first bad record of a broken chain (zh-CN)', async () => {
    verifyAnswer = {
      node: '330000',
      ok: false,
      records: 57,
      last: { seq: 56, hash: 'e'.repeat(64) },
      firstBad: { seq: 57, kind: 'changed', reason: 'hash does not match the record' },
      head: { seq: 90, hash: 'd'.repeat(64) },
    };
    page('zh-CN');
    fireEvent.click(screen.getByRole('button', { name: '校验哈希链' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('哈希链已损坏。');
    expect(alert.textContent).toContain('第一条有问题的记录：#57（内容被改动）：hash does not match the record');
  });
});
