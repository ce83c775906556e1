import { useState } from 'react';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import { useI18n } from '../../i18n/i18n';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { TextField } from '../../ui/Field';
import { PageHeader } from '../../ui/PageHeader';
import { useSession } from '../../session/session';
import './accounts.css';

/** Change one's own password; the password policy's refusals show beside the new password. */
export function PasswordPage() {
  const { t } = useI18n();
  const { api } = useSession();
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [repeat, setRepeat] = useState('');
  const [errors, setErrors] = useState<FormErrors | undefined>();
  const [busy, setBusy] = useState(false);
  const [changed, setChanged] = useState(false);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setChanged(false);
    if (newPassword !== repeat) {
      setErrors({ fields: { repeat: [t('accounts.password.mismatch')] }, form: [] });
      return;
    }
    setBusy(true);
    try {
      await api.call('POST /api/v1/auth/password', { body: { currentPassword, newPassword } });
      setErrors(undefined);
      setChanged(true);
      setCurrent('');
      setNew('');
      setRepeat('');
    } catch (error) {
      setErrors(formErrorsOf(error));
    } finally {
      setBusy(false);
    }
  };

  const labels: Record<string, string> = {
    currentPassword: t('accounts.password.current'),
    newPassword: t('accounts.password.new'),
    repeat: t('accounts.password.repeat'),
  };
  return (
    <>
      <PageHeader title={t('accounts.password.title')} />
      <form className="panel" onSubmit={(e) => void submit(e)} noValidate>
        <ErrorBanner errors={errors} fieldLabel={(field) => labels[field]} />
        {changed && (
          <p className="notice" role="status">
            {t('accounts.password.changed')}
          </p>
        )}
        <TextField
          label={labels.currentPassword}
          type="password"
          autoComplete="current-password"
          required
          value={currentPassword}
          onChange={(e) => setCurrent(e.target.value)}
          errors={errors?.fields.currentPassword}
        />
        <TextField
          label={labels.newPassword}
          hint={t('accounts.passwordPolicy')}
          type="password"
          autoComplete="new-password"
          required
          value={newPassword}
          onChange={(e) => setNew(e.target.value)}
          errors={errors?.fields.newPassword}
        />
        <TextField
          label={labels.repeat}
          type="password"
          autoComplete="new-password"
          required
          value={repeat}
          onChange={(e) => setRepeat(e.target.value)}
          errors={errors?.fields.repeat}
        />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {t('accounts.password.submit')}
          </button>
        </div>
      </form>
    </>
  );
}
