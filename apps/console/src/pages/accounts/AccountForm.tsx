import { useState } from 'react';
import type { Schemas } from '../../api/client';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { SelectField, TextField } from '../../ui/Field';
import { accountFieldOf, grantOf, needsInstitution, ROLES, type Role } from './role-grants';

type Institution = Schemas['InstitutionViewDto'];

/** A new account for a member of an institution's staff: name, first password, one role. */
export function AccountForm({ institutions, onCreated, onCancel }: { institutions: Institution[]; onCreated: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('institution-user');
  const [institutionId, setInstitutionId] = useState(institutions[0]?.id ?? '');
  const [errors, setErrors] = useState<FormErrors | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await api.call('POST /api/v1/accounts', { body: { username, password, roles: [grantOf(role, institutionId)] } });
      onCreated();
    } catch (error) {
      setErrors(formErrorsOf(error, accountFieldOf));
    } finally {
      setBusy(false);
    }
  };

  const labels: Record<string, string> = {
    username: t('accounts.form.username'),
    password: t('accounts.form.password'),
    role: t('accounts.form.role'),
    institutionId: t('accounts.form.institution'),
  };
  return (
    <form className="panel" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="account-form-title">
      <h2 id="account-form-title">{t('accounts.form.title')}</h2>
      <ErrorBanner errors={errors} fieldLabel={(field) => labels[field]} />
      <TextField
        label={labels.username}
        required
        autoComplete="off"
        value={username}
        onChange={(e) => setUsername(e.target.value)}
        errors={errors?.fields.username}
      />
      <TextField
        label={labels.password}
        hint={t('accounts.passwordPolicy')}
        required
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        errors={errors?.fields.password}
      />
      <SelectField
        label={labels.role}
        value={role}
        onChange={(e) => setRole(e.target.value as Role)}
        errors={errors?.fields.role ?? errors?.fields.roles}
        options={ROLES.map((r) => ({ value: r, label: t(`role.${r}`) }))}
      />
      {needsInstitution(role) && (
        <SelectField
          label={labels.institutionId}
          required
          value={institutionId}
          onChange={(e) => setInstitutionId(e.target.value)}
          errors={errors?.fields.institutionId}
          options={[{ value: '', label: t('accounts.form.chooseInstitution') }, ...institutions.map((i) => ({ value: i.id, label: i.name }))]}
        />
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {t('accounts.form.submit')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
