import { useCallback, useEffect, useState } from 'react';
import type { Schemas } from '../../api/client';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { ConfirmDialog, Dialog } from '../../ui/ConfirmDialog';
import { DataTable, Pager } from '../../ui/DataTable';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { TextField } from '../../ui/Field';
import { PageHeader } from '../../ui/PageHeader';
import { usePaged } from '../../ui/use-paged';
import { AccountForm } from './AccountForm';
import { RolesEditor } from './RolesEditor';
import './accounts.css';

type Account = Schemas['AccountViewDto'];
type Institution = Schemas['InstitutionViewDto'];
type Action = { kind: 'roles' | 'toggle' | 'password'; account: Account };

/** The accounts this account manages: create, roles, disable/enable, reset a password. */
export function AccountsPage() {
  const { t, dateTime } = useI18n();
  const { api, can, me } = useSession();
  const [creating, setCreating] = useState(false);
  const [action, setAction] = useState<Action | undefined>();
  const [institutions, setInstitutions] = useState<Institution[]>([]);
  const [errors, setErrors] = useState<FormErrors | undefined>();
  const [busy, setBusy] = useState(false);
  const paged = usePaged(
    useCallback((cursor: string | undefined, signal: AbortSignal) => api.call('GET /api/v1/accounts', { query: { cursor, limit: 20 }, signal }), [api]),
  );

  useEffect(() => {
    const abort = new AbortController();
    api
      .call('GET /api/v1/institutions', { query: { limit: 100 }, signal: abort.signal })
      .then((page) => setInstitutions(page.items.filter((i) => i.status === 'active')))
      .catch(() => setInstitutions([]));
    return () => abort.abort();
  }, [api]);

  const institutionName = (id: string | null) => (id ? (institutions.find((i) => i.id === id)?.name ?? id) : undefined);
  const done = () => {
    setAction(undefined);
    setErrors(undefined);
    paged.reload();
  };
  const toggle = async (account: Account) => {
    setBusy(true);
    try {
      if (account.disabled) await api.call('POST /api/v1/accounts/{id}/enable', { path: { id: account.id } });
      else await api.call('POST /api/v1/accounts/{id}/disable', { path: { id: account.id } });
      done();
    } catch (error) {
      setAction(undefined);
      setErrors(formErrorsOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader
        title={t('accounts.title')}
        actions={
          !creating && (
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              {t('accounts.create')}
            </button>
          )
        }
      />
      {creating && (
        <AccountForm
          institutions={institutions}
          onCancel={() => setCreating(false)}
          onCreated={() => {
            setCreating(false);
            paged.reload();
          }}
        />
      )}
      <ErrorBanner errors={errors ?? paged.error} />
      <DataTable
        caption={t('accounts.title')}
        rows={paged.rows}
        rowKey={(a) => a.id}
        busy={paged.busy}
        columns={[
          { header: t('accounts.col.username'), cell: (a) => a.username },
          {
            header: t('accounts.col.roles'),
            cell: (a) =>
              a.roles
                .map((r) => {
                  const name = institutionName(r.institutionId);
                  return name ? t('accounts.roleAt', { role: t(`role.${r.role}`), institution: name }) : t(`role.${r.role}`);
                })
                .join(t('common.listSeparator')),
          },
          { header: t('accounts.col.status'), cell: (a) => (a.disabled ? t('accounts.disabled') : t('accounts.enabled')) },
          { header: t('accounts.col.created'), cell: (a) => dateTime(a.createdAt) },
          {
            header: t('common.actions'),
            cell: (a) => (
              <span className="row-actions">
                {can('accounts:roles') && (
                  <button type="button" onClick={() => setAction({ kind: 'roles', account: a })} aria-label={t('accounts.rolesOf', { user: a.username })}>
                    {t('accounts.editRoles')}
                  </button>
                )}
                <button type="button" onClick={() => setAction({ kind: 'password', account: a })} aria-label={t('accounts.resetOf', { user: a.username })}>
                  {t('accounts.resetPassword')}
                </button>
                {a.username !== me.username && (
                  <button
                    type="button"
                    className={a.disabled ? undefined : 'danger'}
                    onClick={() => setAction({ kind: 'toggle', account: a })}
                    aria-label={t(a.disabled ? 'accounts.enableOf' : 'accounts.disableOf', { user: a.username })}
                  >
                    {a.disabled ? t('accounts.enable') : t('accounts.disable')}
                  </button>
                )}
              </span>
            ),
          },
        ]}
      />
      <Pager page={paged.page} hasPrevious={paged.hasPrevious} hasNext={paged.hasNext} onPrevious={paged.previous} onNext={paged.next} />
      {action?.kind === 'roles' && <RolesEditor account={action.account} institutions={institutions} onDone={done} onCancel={() => setAction(undefined)} />}
      {action?.kind === 'toggle' && (
        <ConfirmDialog
          title={t(action.account.disabled ? 'accounts.enableTitle' : 'accounts.disableTitle', { user: action.account.username })}
          message={t(action.account.disabled ? 'accounts.enableMessage' : 'accounts.disableMessage', { user: action.account.username })}
          confirmLabel={action.account.disabled ? t('accounts.enable') : t('accounts.disable')}
          busy={busy}
          onConfirm={() => void toggle(action.account)}
          onCancel={() => setAction(undefined)}
        />
      )}
      {action?.kind === 'password' && <ResetPasswordDialog account={action.account} onDone={done} onCancel={() => setAction(undefined)} />}
    </>
  );
}

/** A new password set by the manager; the account's sessions end. */
function ResetPasswordDialog({ account, onDone, onCancel }: { account: Account; onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FormErrors | undefined>();
  const [busy, setBusy] = useState(false);
  const save = async () => {
    setBusy(true);
    try {
      await api.call('POST /api/v1/accounts/{id}/password', { path: { id: account.id }, body: { password } });
      onDone();
    } catch (error) {
      setErrors(formErrorsOf(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={t('accounts.resetTitle', { user: account.username })}
      onClose={onCancel}
      actions={
        <>
          <button type="button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
          <button type="button" className="primary" onClick={() => void save()} disabled={busy}>
            {t('accounts.resetPassword')}
          </button>
        </>
      }
    >
      <ErrorBanner errors={errors} fieldLabel={(field) => (field === 'password' ? t('accounts.form.newPassword') : undefined)} />
      <p>{t('accounts.resetHint')}</p>
      <TextField
        label={t('accounts.form.newPassword')}
        hint={t('accounts.passwordPolicy')}
        type="password"
        autoComplete="new-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        errors={errors?.fields.password}
      />
    </Dialog>
  );
}
