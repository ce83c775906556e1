import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Session } from '../../session/session';
import { badRequest, fakeSession, inLocale, refused } from './fake-session.test-support';
import { JobProgress, type ReturnJob } from './JobProgress';
import { ReturnRequestForm } from './ReturnRequestForm';
import { ReturnDecisionDialog } from './ReturnsPage';

const current: { session?: Session } = {};
vi.mock('../../session/session', async (original) => ({ ...(await original<object>()), useSession: () => current.session }));

const ENTRY_ID = '6f1c7a52-3b0e-4f7d-9a44-8d2e0c1b5a10';
const entry = { id: ENTRY_ID, origin: '330000', code: 'ZJ-001', name: 'Enterprise registrations', type: 'data' };
const request = {
  id: 'r1',
  direction: 'incoming',
  entryId: ENTRY_ID,
  holder: '330000',
  requester: '330106',
  scope: 'self',
  purpose: 'supervision',
  state: 'pending',
  reason: null,
  history: [],
  entry: { name: 'Enterprise registrations', grade: 'L2', shareType: 'conditional', updateCycle: 'daily', dataItems: [] },
  createdAt: '2026-12-01T00:00:00Z',
  updatedAt: '2026-12-01T00:00:00Z',
  lastCheckedAt: null,
  lastSyncAt: null,
} as const;

describe('the return request form', () => {
  beforeEach(() => (current.session = undefined));

  it('offers the entries held elsewhere, fills in their holder, and sends the request', async () => {
    const { session, sent } = fakeSession({
      'GET /api/v1/search': {
        status: 200,
        body: {
          items: [entry, { ...entry, id: 'own', origin: '330106', name: 'Own entry' }, { ...entry, id: 'other', origin: '330200', name: 'Ningbo entry' }],
          nextCursor: null,
          scope: 'province',
        },
      },
      'POST /api/v1/returns/requests': { status: 201, body: { ...request, direction: 'outgoing' } },
    });
    current.session = session;
    const created = vi.fn();
    render(inLocale('en', <ReturnRequestForm onCreated={created} onCancel={() => undefined} />));
    const select = await screen.findByRole('combobox', { name: /Data entry/ });
    expect(within(select).queryByText(/Own entry/)).toBeNull();
    expect(within(select).queryByText(/Ningbo entry/)).toBeNull();
    await userEvent.selectOptions(select, ENTRY_ID);
    expect(screen.getByRole('textbox', { name: /Holder division code/ })).toHaveProperty('value', '330000');
    await userEvent.type(screen.getByRole('textbox', { name: /Purpose/ }), 'supervision');
    await userEvent.click(screen.getByRole('button', { name: 'Send request' }));
    await waitFor(() => expect(created).toHaveBeenCalled());
    expect(sent.at(-1)).toMatchObject({ method: 'POST', body: { entryId: ENTRY_ID, holder: '330000', scope: 'self', purpose: 'supervision' } });
  });

  it('shows a 400 beside the fields and keeps the form open', async () => {
    const { session } = fakeSession({
      'GET /api/v1/search': { status: 200, body: { items: [], nextCursor: null } },
      'POST /api/v1/returns/requests': badRequest({ purpose: 'purpose should not be empty', entryId: 'entryId must be a UUID' }),
    });
    current.session = session;
    const created = vi.fn();
    render(inLocale('en', <ReturnRequestForm onCreated={created} onCancel={() => undefined} />));
    await userEvent.click(screen.getByRole('button', { name: 'Send request' }));
    const purpose = screen.getByRole('textbox', { name: /Purpose/ });
    await waitFor(() => expect(purpose.getAttribute('aria-invalid')).toBe('true'));
    const describedBy = purpose.getAttribute('aria-describedby')!.split(' ');
    expect(describedBy.map((id) => document.getElementById(id)?.textContent).join(' ')).toContain('purpose should not be empty');
    expect(screen.getByRole('textbox', { name: /Data entry/ }).getAttribute('aria-invalid')).toBe('true');
    // Field messages sit beside the fields, not repeated in a banner.
    expect(screen.queryByRole('alert')).toBeNull();
    expect(created).not.toHaveBeenCalled();
  });

  it('shows a 422 refusal in the banner with its article', async () => {
    const { session } = fakeSession({
      'GET /api/v1/search': { status: 200, body: { items: [entry], nextCursor: null } },
      'POST /api/v1/returns/requests': refused('holder-not-ancestor', 'the holder is not an ancestor of this node', 'Article 9'),
    });
    current.session = session;
    render(inLocale('zh-CN', <ReturnRequestForm onCreated={() => undefined} onCancel={() => undefined} />));
    await userEvent.click(await screen.findByRole('button', { name: '提交申请' }));
    const banner = await screen.findByRole('alert');
    expect(banner.textContent).toContain('the holder is not an ancestor of this node (Article 9)');
    expect(banner.textContent).toContain('操作未成功');
  });
});

describe('the return decision dialogs', () => {
  it('reject needs a reason: the 400 shows beside it, then a reason goes through', async () => {
    let calls = 0;
    const { session, sent } = fakeSession({
      'POST /api/v1/returns/requests/r1/reject': () =>
        ++calls === 1 ? badRequest({ reason: 'reason should not be empty' }) : { status: 200, body: { ...request, state: 'rejected' } },
    });
    current.session = session;
    const done = vi.fn();
    render(inLocale('en', <ReturnDecisionDialog decision={{ kind: 'reject', request: request as never }} onDone={done} onCancel={() => undefined} />));
    const dialog = screen.getByRole('dialog', { name: /Reject the return of “Enterprise registrations” to 330106/ });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Reject' }));
    const reason = within(dialog).getByRole('textbox', { name: /Reason/ });
    await waitFor(() => expect(reason.getAttribute('aria-invalid')).toBe('true'));
    expect(dialog.textContent).toContain('reason should not be empty');
    expect(done).not.toHaveBeenCalled();
    await userEvent.type(reason, 'no legal basis');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Reject' }));
    await waitFor(() => expect(done).toHaveBeenCalled());
    expect(sent.at(-1)?.body).toEqual({ reason: 'no legal basis' });
  });

  it('approve sends the optional note, or nothing, and shows a 422 in the banner', async () => {
    const { session, sent } = fakeSession({ 'POST /api/v1/returns/requests/r1/approve': refused('grade-too-high', 'L4 data is not returned', 'Article 9') });
    current.session = session;
    const done = vi.fn();
    render(inLocale('en', <ReturnDecisionDialog decision={{ kind: 'approve', request: request as never }} onDone={done} onCancel={() => undefined} />));
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect((await screen.findByRole('alert')).textContent).toContain('L4 data is not returned (Article 9)');
    expect(sent.at(-1)?.body).toEqual({});
    expect(done).not.toHaveBeenCalled();
  });

  it('cancel with Escape sends nothing', async () => {
    const { session, sent } = fakeSession({});
    current.session = session;
    const cancel = vi.fn();
    render(
      inLocale(
        'en',
        <ReturnDecisionDialog decision={{ kind: 'revoke', request: { ...request, state: 'granted' } as never }} onDone={() => undefined} onCancel={cancel} />,
      ),
    );
    await userEvent.keyboard('{Escape}');
    expect(cancel).toHaveBeenCalled();
    expect(sent).toEqual([]);
  });
});

const job = (over: Partial<ReturnJob>): ReturnJob => ({
  id: 'j1',
  requestId: 'r1',
  kind: 'full',
  state: 'running',
  rowsDone: 1500,
  rowsTotal: 6000,
  upserts: 1500,
  deletes: 0,
  ratePerSec: 250.4,
  etaSeconds: 3725,
  lastError: null,
  attempts: 1,
  nextAttemptAt: null,
  createdAt: '2026-12-01T00:00:00Z',
  startedAt: '2026-12-01T00:00:01Z',
  finishedAt: null,
  ...over,
});

describe('the transfer job progress', () => {
  it('shows rows done of the total, the rate and the time left while running', () => {
    render(inLocale('en', <JobProgress job={job({})} />));
    const bar = screen.getByRole('progressbar', { name: 'Transfer progress' });
    expect(bar.getAttribute('aria-valuenow')).toBe('1500');
    expect(bar.getAttribute('aria-valuemax')).toBe('6000');
    expect(screen.getByText('1,500 of 6,000 rows')).toBeTruthy();
    expect(screen.getByText('250.4 rows/s')).toBeTruthy();
    expect(screen.getByText('1 h 2 min 5 s')).toBeTruthy();
    expect(screen.getByText('Running')).toBeTruthy();
  });

  it('renders short and unknown times left, in Chinese too', () => {
    const { rerender } = render(inLocale('zh-CN', <JobProgress job={job({ etaSeconds: 42 })} />));
    expect(screen.getByText('42 秒')).toBeTruthy();
    rerender(inLocale('zh-CN', <JobProgress job={job({ etaSeconds: 125 })} />));
    expect(screen.getByText('2 分 5 秒')).toBeTruthy();
    rerender(inLocale('zh-CN', <JobProgress job={job({ etaSeconds: null, ratePerSec: null, rowsTotal: null })} />));
    expect(screen.getAllByText('估算中')).toHaveLength(2);
    expect(screen.getByText('已传输 1,500 行')).toBeTruthy();
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBeNull();
  });

  it('when done: full bar, the finish time and the changes, no rate or time left', () => {
    render(inLocale('en', <JobProgress job={job({ state: 'done', rowsDone: 6000, upserts: 5990, deletes: 10, finishedAt: '2026-12-01T00:00:30Z' })} />));
    const bar = screen.getByRole('progressbar');
    expect(bar.getAttribute('aria-valuenow')).toBe(bar.getAttribute('aria-valuemax'));
    expect(screen.getByText('Done')).toBeTruthy();
    expect(screen.getByText('5,990 written, 10 deleted')).toBeTruthy();
    expect(screen.getByText('12/01/2026, 08:00:30')).toBeTruthy();
    expect(screen.queryByText('Time left')).toBeNull();
    expect(screen.queryByText(/rows\/s/)).toBeNull();
  });
});
