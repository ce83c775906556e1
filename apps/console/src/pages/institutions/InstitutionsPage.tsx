import { useCallback, useState, type FormEvent } from 'react';
import type { Schemas } from '../../api/client';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import type { PageProps } from '../../app/page-route';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { DataTable, Pager, type Column } from '../../ui/DataTable';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { SelectField, TextField } from '../../ui/Field';
import { PageHeader } from '../../ui/PageHeader';
import { usePaged } from '../../ui/use-paged';
import './institutions.css';

type Institution = Schemas['InstitutionViewDto'];
type NewInstitution = Schemas['CreateInstitutionDto'];
const KINDS = ['government', 'public-service', 'state-department'] as const;
const FIELDS = new Set(['name', 'kind', 'creditCode']);

/** Institutions of this node (or its subtree), and the form that registers one here. */
export function InstitutionsPage(_: PageProps) {
  const { t, dateTime } = useI18n();
  const { api, can } = useSession();
  const [scope, setScope] = useState<'local' | 'subtree'>('local');
  const [notice, setNotice] = useState<string | undefined>();
  const load = useCallback(
    (cursor: string | undefined, signal: AbortSignal) => api.call('GET /api/v1/institutions', { query: { scope, cursor, limit: 50 }, signal }),
    [api, scope],
  );
  const paged = usePaged<Institution>(load);
  const columns: Column<Institution>[] = [
    { header: t('institutions.name'), cell: (i) => i.name },
    { header: t('institutions.kind'), cell: (i) => t(`institutions.kind.${i.kind}`) },
    { header: t('institutions.creditCode'), cell: (i) => <span className="mono">{i.creditCode ?? '—'}</span> },
    { header: t('institutions.origin'), cell: (i) => i.origin },
    { header: t('institutions.status'), cell: (i) => t(`institutions.status.${i.status}`) },
    { header: t('institutions.id'), cell: (i) => <span className="mono">{i.id}</span> },
    { header: t('institutions.createdAt'), cell: (i) => dateTime(i.createdAt) },
  ];
  return (
    <>
      <PageHeader title={t('institutions.title')} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {can('institutions:write') && (
        <InstitutionForm
          onRegistered={(institution) => {
            setNotice(t('institutions.registered', { name: institution.name }));
            paged.reload();
          }}
        />
      )}
      <div className="filters">
        <SelectField
          label={t('institutions.scope')}
          name="scope"
          value={scope}
          onChange={(e) => setScope(e.target.value as 'local' | 'subtree')}
          options={[
            { value: 'local', label: t('institutions.scope.local') },
            { value: 'subtree', label: t('institutions.scope.subtree') },
          ]}
        />
      </div>
      <ErrorBanner errors={paged.error} />
      <DataTable caption={t('institutions.title')} columns={columns} rows={paged.rows} rowKey={(i) => i.id} busy={paged.busy} />
      <Pager page={paged.page} hasPrevious={paged.hasPrevious} hasNext={paged.hasNext} onPrevious={paged.previous} onNext={paged.next} />
    </>
  );
}

/** Registers an institution; the API checks the credit code (GB 32100-2015) and names it beside its field. */
export function InstitutionForm({ onRegistered }: { onRegistered: (institution: Institution) => void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const empty: NewInstitution = { name: '', kind: 'government', creditCode: '' };
  const [form, setForm] = useState<NewInstitution>(empty);
  const [errors, setErrors] = useState<FormErrors | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const creditCode = form.creditCode?.trim();
      const institution = await api.call('POST /api/v1/institutions', {
        body: { name: form.name.trim(), kind: form.kind, creditCode: creditCode || undefined },
      });
      setErrors(undefined);
      setForm(empty);
      onRegistered(institution);
    } catch (error) {
      setErrors(formErrorsOf(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="panel institution-form" onSubmit={submit} noValidate aria-labelledby="institution-form-title">
      <h2 id="institution-form-title">{t('institutions.register')}</h2>
      <ErrorBanner errors={errors} fieldLabel={(field) => (FIELDS.has(field) ? field : undefined)} />
      <div className="institution-fields">
        <TextField
          label={t('institutions.name')}
          name="name"
          required
          value={form.name}
          errors={errors?.fields.name}
          onChange={(e) => setForm({ ...form, name: e.target.value })}
        />
        <SelectField
          label={t('institutions.kind')}
          name="kind"
          value={form.kind}
          errors={errors?.fields.kind}
          onChange={(e) => setForm({ ...form, kind: e.target.value as NewInstitution['kind'] })}
          options={KINDS.map((k) => ({ value: k, label: t(`institutions.kind.${k}`) }))}
        />
        <TextField
          label={t('institutions.creditCode')}
          name="creditCode"
          value={form.creditCode ?? ''}
          hint={t('institutions.creditCodeHint')}
          errors={errors?.fields.creditCode}
          onChange={(e) => setForm({ ...form, creditCode: e.target.value })}
        />
      </div>
      <button type="submit" className="primary" disabled={busy}>
        {t('institutions.submit')}
      </button>
    </form>
  );
}
