import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { RouterProvider } from '../../app/router';
import type { Session } from '../../session/session';
import { badRequest, fakeSession, inLocale } from '../returns/fake-session.test-support';
import { shanghaiToIso, ShareDecisionDialog, SharesPage } from './SharesPage';

const current: { session?: Session } = {};
vi.mock('../../session/session', async (original) => ({ ...(await original<object>()), useSession: () => current.session }));

const share = {
  id: 's1',
  side: 'provider',
  entryId: 'e1',
  provider: '330000',
  consumer: '330106',
  consumerInstitution: null,
  items: ['uscc'],
  regions: [],
  purpose: 'inspection',
  expiresAt: '2027-06-30T16:00:00Z',
  state: 'requested',
  reason: null,
  rule: null,
  deadline: '2026-12-01T02:00:00Z',
  overdue: true,
  history: [],
  entry: { name: 'Licences', code: 'L-1', grade: 'L2', shareType: 'conditional', providerId: 'p', dataItems: [] },
  createdAt: '2026-11-20T00:00:00Z',
  updatedAt: '2026-11-20T00:00:00Z',
} as const;

describe('shares', () => {
  it('reads a datetime-local value as Beijing time', () => {
    expect(shanghaiToIso('2027-01-02T08:30')).toBe('2027-01-02T00:30:00.000Z');
  });

  it('lists requests with the deadline and "overdue" in words, and decision buttons by side and permission', async () => {
    const { session } = fakeSession(
      {
        'GET /api/v1/shares': (request) => ({
          status: 200,
          body: {
            items: request.query.get('direction') === 'incoming' ? [share] : [{ ...share, id: 's2', side: 'consumer', overdue: false, state: 'granted' }],
            nextCursor: null,
          },
        }),
      },
      { permissions: ['shares:read', 'shares:decide'] },
    );
    current.session = session;
    render(
      inLocale(
        'en',
        <RouterProvider>
          <SharesPage />
        </RouterProvider>,
      ),
    );
    const incoming = screen.getByRole('table', { name: 'Requests made to this node' });
    await within(incoming).findByText('Licences');
    expect(within(incoming).getByText('(overdue)')).toBeTruthy();
    expect(within(incoming).getByText(/12\/01\/2026, 10:00:00/)).toBeTruthy();
    expect(within(incoming).getByRole('button', { name: 'Approve' })).toBeTruthy();
    const outgoing = screen.getByRole('table', { name: 'Requests made by this node' });
    expect(within(outgoing).queryByText('(overdue)')).toBeNull();
    // No shares:request: the consumer side's withdraw is not offered.
    expect(within(outgoing).queryByRole('button')).toBeNull();
  });

  it('approve needs a reason (400 beside it) and sends the expiry chosen', async () => {
    let calls = 0;
    const { session, sent } = fakeSession({
      'POST /api/v1/shares/s1/approve': () =>
        ++calls === 1 ? badRequest({ reason: 'reason should not be empty' }) : { status: 200, body: { ...share, state: 'granted' } },
    });
    current.session = session;
    const done = vi.fn();
    render(inLocale('en', <ShareDecisionDialog decision={{ kind: 'approve', share: share as never }} onDone={done} onCancel={() => undefined} />));
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    const reason = screen.getByRole('textbox', { name: /Reason/ });
    await waitFor(() => expect(reason.getAttribute('aria-invalid')).toBe('true'));
    await userEvent.type(reason, 'lawful purpose');
    const expiry = screen.getByLabelText(/Grant expires at/);
    await userEvent.type(expiry, '2027-03-01T09:00');
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(done).toHaveBeenCalled());
    expect(sent.at(-1)?.body).toEqual({ reason: 'lawful purpose', expiresAt: '2027-03-01T01:00:00.000Z' });
  });
});
