import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Session } from '../../session/session';
import { badRequest, fakeSession, inLocale } from '../returns/fake-session.test-support';
import { AccountForm } from './AccountForm';
import { PasswordPage } from './PasswordPage';
import { RolesEditor } from './RolesEditor';

const current: { session?: Session } = {};
vi.mock('../../session/session', async (original) => ({ ...(await original<object>()), useSession: () => current.session }));

const institutions = [
  {
    id: 'i-1',
    origin: '330106',
    name: 'District Market Regulator',
    kind: 'government',
    creditCode: null,
    version: 1,
    status: 'active',
    createdAt: '',
    updatedAt: '',
  },
  {
    id: 'i-2',
    origin: '330106',
    name: 'District Health Commission',
    kind: 'government',
    creditCode: null,
    version: 1,
    status: 'active',
    createdAt: '',
    updatedAt: '',
  },
] as const;
const account = {
  id: 'acc-1',
  username: 'li.wei',
  disabled: false,
  roles: [{ role: 'institution-user', institutionId: 'i-2' }],
  createdBy: 'admin',
  createdAt: '',
  updatedAt: '',
} as const;

describe('the account form', () => {
  it('creates an institution user with its institution', async () => {
    const { session, sent } = fakeSession({ 'POST /api/v1/accounts': { status: 201, body: account } });
    current.session = session;
    const created = vi.fn();
    render(inLocale('en', <AccountForm institutions={[...institutions]} onCreated={created} onCancel={() => undefined} />));
    await userEvent.type(screen.getByRole('textbox', { name: /User name/ }), 'li.wei');
    await userEvent.type(screen.getByLabelText(/First password/), 'Str0ng-enough!');
    await userEvent.selectOptions(screen.getByRole('combobox', { name: /Institution/ }), 'i-2');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    await waitFor(() => expect(created).toHaveBeenCalled());
    expect(sent.at(-1)?.body).toEqual({ username: 'li.wei', password: 'Str0ng-enough!', roles: [{ role: 'institution-user', institutionId: 'i-2' }] });
  });

  it('sends no institution for a node role, and shows the policy and role errors beside their fields', async () => {
    const { session, sent } = fakeSession({
      'POST /api/v1/accounts': badRequest({ password: 'password must be at least 12 characters', 'roles.0.role': 'role not grantable here' }),
    });
    current.session = session;
    render(inLocale('en', <AccountForm institutions={[...institutions]} onCreated={() => undefined} onCancel={() => undefined} />));
    await userEvent.type(screen.getByRole('textbox', { name: /User name/ }), 'auditor1');
    await userEvent.type(screen.getByLabelText(/First password/), 'short');
    await userEvent.selectOptions(screen.getByRole('combobox', { name: /Role/ }), 'auditor');
    expect(screen.queryByRole('combobox', { name: /Institution/ })).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    const password = screen.getByLabelText(/First password/);
    await waitFor(() => expect(password.getAttribute('aria-invalid')).toBe('true'));
    expect(password.closest('.field')?.textContent).toContain('password must be at least 12 characters');
    expect(screen.getByRole('combobox', { name: /Role/ }).closest('.field')?.textContent).toContain('role not grantable here');
    expect(sent.at(-1)?.body).toMatchObject({ roles: [{ role: 'auditor' }] });
  });
});

describe('the roles editor', () => {
  it('shows the current roles and replaces them with the ones ticked', async () => {
    const { session, sent } = fakeSession({ 'PUT /api/v1/accounts/acc-1/roles': { status: 200, body: account } });
    current.session = session;
    const done = vi.fn();
    render(inLocale('en', <RolesEditor account={account as never} institutions={[...institutions]} onDone={done} onCancel={() => undefined} />));
    const dialog = screen.getByRole('dialog', { name: 'Roles of li.wei' });
    expect(within(dialog).getByRole('checkbox', { name: 'Institution user' })).toHaveProperty('checked', true);
    expect(within(dialog).getByRole('combobox', { name: /Institution/ })).toHaveProperty('value', 'i-2');
    await userEvent.click(within(dialog).getByRole('checkbox', { name: 'Institution admin' }));
    await userEvent.click(within(dialog).getByRole('checkbox', { name: 'Auditor' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(done).toHaveBeenCalled());
    expect(sent.at(-1)).toMatchObject({
      method: 'PUT',
      body: { roles: [{ role: 'institution-admin', institutionId: 'i-2' }, { role: 'institution-user', institutionId: 'i-2' }, { role: 'auditor' }] },
    });
  });

  it('shows a refusal of the roles beside the role list', async () => {
    const { session } = fakeSession({ 'PUT /api/v1/accounts/acc-1/roles': badRequest({ roles: 'roles must contain at least 1 elements' }) });
    current.session = session;
    render(inLocale('zh-CN', <RolesEditor account={account as never} institutions={[...institutions]} onDone={() => undefined} onCancel={() => undefined} />));
    await userEvent.click(screen.getByRole('checkbox', { name: '单位用户' }));
    await userEvent.click(screen.getByRole('button', { name: '保存' }));
    const group = screen.getByRole('group', { name: '角色' });
    await waitFor(() => expect(group.textContent).toContain('roles must contain at least 1 elements'));
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('change my password', () => {
  it('shows the policy error beside the new password, then success', async () => {
    let calls = 0;
    const { session, sent } = fakeSession({
      'POST /api/v1/auth/password': () => (++calls === 1 ? badRequest({ newPassword: 'newPassword must be at least 12 characters' }) : { status: 204 }),
    });
    current.session = session;
    render(inLocale('en', <PasswordPage />));
    await userEvent.type(screen.getByLabelText(/Current password/), 'Old-passw0rd!');
    await userEvent.type(screen.getByLabelText(/^New password \(/), 'short');
    await userEvent.type(screen.getByLabelText(/New password again/), 'short');
    await userEvent.click(screen.getByRole('button', { name: 'Change password' }));
    const field = screen.getByLabelText(/^New password \(/);
    await waitFor(() => expect(field.getAttribute('aria-invalid')).toBe('true'));
    expect(field.closest('.field')?.textContent).toContain('newPassword must be at least 12 characters');
    expect(sent[0].body).toEqual({ currentPassword: 'Old-passw0rd!', newPassword: 'short' });
    await userEvent.clear(field);
    await userEvent.type(field, 'A-much-l0nger-one');
    await userEvent.clear(screen.getByLabelText(/New password again/));
    await userEvent.type(screen.getByLabelText(/New password again/), 'A-much-l0nger-one');
    await userEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect((await screen.findByRole('status')).textContent).toContain('Your password has been changed.');
    expect(field.getAttribute('aria-invalid')).toBeNull();
  });

  it('does not send two different new passwords', async () => {
    const { session, sent } = fakeSession({});
    current.session = session;
    render(inLocale('en', <PasswordPage />));
    await userEvent.type(screen.getByLabelText(/Current password/), 'Old-passw0rd!');
    await userEvent.type(screen.getByLabelText(/^New password \(/), 'A-much-l0nger-one');
    await userEvent.type(screen.getByLabelText(/New password again/), 'A-much-l0nger-two');
    await userEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect(screen.getByLabelText(/New password again/).closest('.field')?.textContent).toContain('The two new passwords differ');
    expect(sent).toEqual([]);
  });
});
