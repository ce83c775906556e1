import { useCallback, useState } from 'react';
import type { Schemas } from '../../api/client';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { DataTable, Pager } from '../../ui/DataTable';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { SelectField, TextField } from '../../ui/Field';
import { PageHeader } from '../../ui/PageHeader';
import { usePaged } from '../../ui/use-paged';
import { auditQueryOf, downloadNameOf, exportQueryOf, NO_FILTERS, type AuditFilters } from './audit-query';
import { saveBlob } from './save-blob';
import { VerifyResult, type AuditVerification } from './VerifyResult';
import './audit.css';

type AuditRecord = Schemas['AuditRecordViewDto'];

/** The filter form; its values apply when submitted (not on each key), so paging stays put while typing. */
function AuditFilterForm({ initial, onApply, errors }: { initial: AuditFilters; onApply: (filters: AuditFilters) => void; errors?: FormErrors }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(initial);
  const set = (name: keyof AuditFilters) => (event: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setDraft({ ...draft, [name]: event.target.value });
  return (
    <form
      className="filters audit-filters"
      role="search"
      aria-label={t('audit.filters')}
      onSubmit={(event) => {
        event.preventDefault();
        onApply(draft);
      }}
    >
      <TextField label={t('audit.actor')} name="actor" value={draft.actor} onChange={set('actor')} hint={t('audit.actorHint')} errors={errors?.fields.actor} />
      <TextField
        label={t('audit.action')}
        name="action"
        value={draft.action}
        onChange={set('action')}
        hint={t('audit.actionHint')}
        errors={errors?.fields.action}
      />
      <TextField label={t('audit.target')} name="target" value={draft.target} onChange={set('target')} errors={errors?.fields.target} />
      <TextField
        label={t('audit.outcome')}
        name="outcome"
        value={draft.outcome}
        onChange={set('outcome')}
        hint={t('audit.outcomeHint')}
        errors={errors?.fields.outcome}
      />
      <TextField label={t('audit.from')} name="from" type="datetime-local" value={draft.from} onChange={set('from')} errors={errors?.fields.from} />
      <TextField label={t('audit.to')} name="to" type="datetime-local" value={draft.to} onChange={set('to')} errors={errors?.fields.to} />
      <SelectField
        label={t('audit.order')}
        name="order"
        value={draft.order}
        onChange={set('order')}
        options={[
          { value: 'desc', label: t('audit.orderDesc') },
          { value: 'asc', label: t('audit.orderAsc') },
        ]}
      />
      <div className="filter-buttons">
        <button type="submit" className="primary">
          {t('audit.apply')}
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(NO_FILTERS);
            onApply(NO_FILTERS);
          }}
        >
          {t('audit.clear')}
        </button>
      </div>
    </form>
  );
}

/** The audit log of this node: filtered and paged, its chain verified, exported as NDJSON. */
export function AuditPage() {
  const { t, dateTime } = useI18n();
  const { api } = useSession();
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS);
  const [verification, setVerification] = useState<AuditVerification | undefined>();
  const [verifying, setVerifying] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [actionErrors, setActionErrors] = useState<FormErrors | undefined>();
  const [exported, setExported] = useState<string | undefined>();

  const load = useCallback(
    (cursor: string | undefined, signal: AbortSignal) => api.call('GET /api/v1/audit', { query: auditQueryOf(filters, cursor), signal }),
    [api, filters],
  );
  const paged = usePaged<AuditRecord>(load);

  const verify = async () => {
    setVerifying(true);
    setActionErrors(undefined);
    try {
      setVerification(await api.call('GET /api/v1/audit/verify'));
    } catch (error) {
      setActionErrors(formErrorsOf(error));
    } finally {
      setVerifying(false);
    }
  };

  const exportLog = async () => {
    setExporting(true);
    setActionErrors(undefined);
    setExported(undefined);
    try {
      const response = await api.send('GET /api/v1/audit/export', { query: exportQueryOf(filters) });
      const name = downloadNameOf(response.headers.get('content-disposition'), 'audit.ndjson');
      saveBlob(await response.blob(), name);
      setExported(t('audit.exported', { file: name, head: response.headers.get('tdx-audit-head') ?? '—' }));
    } catch (error) {
      setActionErrors(formErrorsOf(error));
    } finally {
      setExporting(false);
    }
  };

  return (
    <>
      <PageHeader
        title={t('audit.title')}
        actions={
          <>
            <button type="button" onClick={() => void verify()} disabled={verifying}>
              {verifying ? t('audit.verifying') : t('audit.verify')}
            </button>
            <button type="button" onClick={() => void exportLog()} disabled={exporting}>
              {exporting ? t('audit.exporting') : t('audit.export')}
            </button>
          </>
        }
      />
      <ErrorBanner errors={actionErrors} />
      {verification && <VerifyResult result={verification} />}
      {exported && (
        <p className="notice" role="status">
          {exported}
        </p>
      )}
      <AuditFilterForm initial={filters} onApply={setFilters} errors={paged.error} />
      <ErrorBanner errors={paged.error} fieldLabel={(field) => (field in NO_FILTERS ? field : undefined)} />
      <DataTable
        caption={t('audit.tableCaption')}
        busy={paged.busy}
        rows={paged.rows}
        rowKey={(r) => String(r.seq)}
        columns={[
          { header: t('audit.col.seq'), numeric: true, cell: (r) => r.seq },
          { header: t('audit.col.at'), cell: (r) => dateTime(r.at) },
          { header: t('audit.col.actor'), cell: (r) => r.actor },
          { header: t('audit.col.action'), cell: (r) => <span className="audit-action">{r.action}</span> },
          { header: t('audit.col.target'), cell: (r) => r.target ?? '—' },
          { header: t('audit.col.outcome'), cell: (r) => r.outcome },
          {
            header: t('audit.col.details'),
            cell: (r) =>
              Object.keys(r.details ?? {}).length === 0 ? (
                '—'
              ) : (
                <details>
                  <summary>{t('audit.showDetails')}</summary>
                  <pre className="audit-details">{JSON.stringify(r.details, null, 2)}</pre>
                </details>
              ),
          },
        ]}
      />
      <Pager page={paged.page} hasPrevious={paged.hasPrevious} hasNext={paged.hasNext} onPrevious={paged.previous} onNext={paged.next} />
    </>
  );
}
