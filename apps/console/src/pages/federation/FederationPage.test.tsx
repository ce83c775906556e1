import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../../api/client';
import { I18nProvider } from '../../i18n/i18n';
import { FederationPage } from './FederationPage';

const NOW = '2026-12-06T06:00:00.000Z';
const KEY = 'A'.repeat(43);
const sent: { method: string; path: string; body: unknown }[] = [];
let administer = true;

const join = {
  code: '330200',
  name: '宁波市',
  publicKey: KEY,
  fingerprint: 'aa:bb:cc',
  waitsAt: '330000',
  firstSeen: NOW,
  lastSeen: NOW,
  attempts: 2,
  reportedVia: null,
  reportedAt: null,
};
const answers: Record<string, unknown> = {
  '/api/v1/node': { code: '330000', name: '浙江省', level: 'province', publicKey: 'p', parent: null, children: [] },
  '/api/v1/federation/status': {
    node: '330000',
    protocol: { version: 1, oldestSupported: 1, parked: 3, oldestParkedAt: NOW },
    heartbeat: { intervalSeconds: 10, staleAfterIntervals: 3, downAfterIntervals: 12 },
    parent: null,
    children: [],
    pendingJoins: [join, { ...join, code: '330212', name: '鄞州区', waitsAt: '330200', fingerprint: 'dd:ee' }],
    trustList: { state: 'valid', issuer: '330000', version: 3, issuedAt: NOW, expiresAt: NOW, expiresInSeconds: 7200, alarm: true, nodes: 1 },
  },
  '/api/v1/federation/nodes': { items: [] },
  '/api/v1/federation/trust-list': {
    state: 'valid',
    issuer: '330000',
    version: 3,
    issuedAt: NOW,
    expiresAt: NOW,
    expiresInSeconds: 7200,
    alarm: true,
    nodes: [],
  },
};
const fakeFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
  const url = new URL(String(input), 'http://node.test');
  const method = init?.method ?? 'GET';
  if (method !== 'GET') {
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    sent.push({ method, path: url.pathname, body });
    return new Response(JSON.stringify({ ...join, status: 'rejected' }), { status: 200, headers: { 'content-type': 'application/json' } });
  }
  return new Response(JSON.stringify(answers[url.pathname]), { status: 200, headers: { 'content-type': 'application/json' } });
};
const api = new ApiClient({ accessToken: () => 'token', refresh: async () => false, expired: async () => undefined }, fakeFetch as typeof fetch);
vi.mock('../../session/session', () => ({ useSession: () => ({ api, can: (p: string) => p !== 'federation:administer' || administer }) }));

function page() {
  return render(
    <I18nProvider locale="en">
      <FederationPage />
    </I18nProvider>,
  );
}

beforeEach(() => {
  sent.length = 0;
  administer = true;
});

describe('FederationPage', () => {
  it('shows the trust list with its alarm and the parked count', async () => {
    page();
    const trust = await screen.findByRole('region', { name: 'Trust list' });
    expect(within(trust).getByRole('alert').textContent).toContain('near expiry');
    expect(trust.textContent).toContain('in 2 h');
    expect(trust.textContent).toContain('Parked messages');
    expect(trust.textContent).toMatch(/Parked messages \(read after an upgrade\)3/);
  });

  it('rejects a join only with a reason, after confirmation, naming the key', async () => {
    page();
    fireEvent.click(await screen.findByRole('button', { name: 'Reject the join of 宁波市' }));
    const dialog = screen.getByRole('dialog', { name: 'Reject the join of 宁波市 (330200)?' });
    expect(dialog.textContent).toContain('aa:bb:cc');
    const reason = within(dialog).getByLabelText(/Reason/);
    expect((reason as HTMLTextAreaElement).required).toBe(true);
    fireEvent.change(reason, { target: { value: 'not a county of this city' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reject the join' }));
    await waitFor(() =>
      expect(sent).toEqual([{ method: 'POST', path: '/api/v1/federation/nodes/330200/reject', body: { reason: 'not a county of this city', publicKey: KEY } }]),
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('approves after confirmation; a join waiting below is decided there', async () => {
    page();
    const joins = await screen.findByRole('table', { name: 'Joins awaiting a decision' });
    expect(within(joins).getAllByRole('row')[2].textContent).toContain('Decided at 330200');
    fireEvent.click(within(joins).getByRole('button', { name: 'Approve the join of 宁波市' }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Approve the join' }));
    await waitFor(() => expect(sent).toEqual([{ method: 'POST', path: '/api/v1/federation/nodes/330200/approve', body: { publicKey: KEY } }]));
  });

  it('offers no decisions without federation:administer', async () => {
    administer = false;
    page();
    const joins = await screen.findByRole('table', { name: 'Joins awaiting a decision' });
    expect(within(joins).getAllByRole('row')).toHaveLength(3);
    expect(screen.queryByRole('button', { name: /Approve|Reject|Revoke/ })).toBeNull();
  });
});
