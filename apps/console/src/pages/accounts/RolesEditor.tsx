import { useState } from 'react';
import type { Schemas } from '../../api/client';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { Dialog } from '../../ui/ConfirmDialog';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { SelectField } from '../../ui/Field';
import { needsInstitution, ROLES, type Role, type RoleGrant } from './role-grants';

type Account = Schemas['AccountViewDto'];
type Institution = Schemas['InstitutionViewDto'];

/** Replace an account's roles: a checkbox per role, and the institution of the institution roles. */
export function RolesEditor({
  account,
  institutions,
  onDone,
  onCancel,
}: {
  account: Account;
  institutions: Institution[];
  onDone: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const { api } = useSession();
  const [chosen, setChosen] = useState<Set<Role>>(new Set(account.roles.map((r) => r.role)));
  const [institutionId, setInstitutionId] = useState(account.roles.find((r) => r.institutionId)?.institutionId ?? institutions[0]?.id ?? '');
  const [errors, setErrors] = useState<FormErrors | undefined>();
  const [busy, setBusy] = useState(false);

  const toggle = (role: Role) =>
    setChosen((current) => {
      const next = new Set(current);
      if (next.has(role)) next.delete(role);
      else next.add(role);
      return next;
    });
  const withInstitution = [...chosen].some(needsInstitution);

  const save = async () => {
    setBusy(true);
    const roles: RoleGrant[] = ROLES.filter((r) => chosen.has(r)).map((role) => (needsInstitution(role) && institutionId ? { role, institutionId } : { role }));
    try {
      await api.call('PUT /api/v1/accounts/{id}/roles', { path: { id: account.id }, body: { roles } });
      onDone();
    } catch (error) {
      setErrors(formErrorsOf(error, (path) => (/institutionId$/.test(path) ? 'institutionId' : /^roles/.test(path) ? 'roles' : path)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={t('accounts.roles.title', { user: account.username })}
      onClose={onCancel}
      actions={
        <>
          <button type="button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
          <button type="button" className="primary" onClick={() => void save()} disabled={busy}>
            {t('common.save')}
          </button>
        </>
      }
    >
      <ErrorBanner
        errors={errors}
        fieldLabel={(field) => (field === 'roles' ? t('accounts.roles.legend') : field === 'institutionId' ? t('accounts.form.institution') : undefined)}
      />
      <fieldset className={errors?.fields.roles ? 'field-invalid' : undefined} aria-describedby={errors?.fields.roles ? 'roles-error' : undefined}>
        <legend>{t('accounts.roles.legend')}</legend>
        {ROLES.map((role) => (
          <label key={role} className="check">
            <input type="checkbox" checked={chosen.has(role)} onChange={() => toggle(role)} /> {t(`role.${role}`)}
          </label>
        ))}
        {errors?.fields.roles && (
          <p className="field-error" id="roles-error">
            {errors.fields.roles.join('; ')}
          </p>
        )}
      </fieldset>
      {withInstitution && (
        <SelectField
          label={t('accounts.form.institution')}
          required
          value={institutionId}
          onChange={(e) => setInstitutionId(e.target.value)}
          errors={errors?.fields.institutionId}
          options={[{ value: '', label: t('accounts.form.chooseInstitution') }, ...institutions.map((i) => ({ value: i.id, label: i.name }))]}
        />
      )}
    </Dialog>
  );
}
