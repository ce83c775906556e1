import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError, type Schemas } from '../../api/client';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import type { PageProps } from '../../app/page-route';
import { Link } from '../../app/router';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { DataTable, Pager, type Column } from '../../ui/DataTable';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { PageHeader } from '../../ui/PageHeader';
import { ProgressBar } from '../../ui/ProgressBar';
import { usePaged } from '../../ui/use-paged';
import { contentTypeOf } from './upload-format';
import { UploadErrorTable, uploadRefusalOf, type UploadRefusal } from './UploadErrorTable';
import './datasets.css';

type Entry = Schemas['CatalogEntryViewDto'];
type Summary = Schemas['DatasetSummaryViewDto'];
type Load = Schemas['DatasetLoadViewDto'];
type Row = Schemas['DatasetRowViewDto'];

/** An entry's dataset: what it holds, its rows, and the upload of a CSV or NDJSON file (all or nothing). */
export function LoadDataPage({ params }: PageProps) {
  const { t, number } = useI18n();
  const { api } = useSession();
  const entryId = params.entryId;
  const [entry, setEntry] = useState<Entry | undefined>();
  const [summary, setSummary] = useState<Summary | undefined>();
  const [pageError, setPageError] = useState<FormErrors | undefined>();
  const [file, setFile] = useState<File | undefined>();
  const [progress, setProgress] = useState<{ loaded: number; total: number } | undefined>();
  const [uploading, setUploading] = useState(false);
  const [result, setResult] = useState<Load | undefined>();
  const [refusal, setRefusal] = useState<UploadRefusal | undefined>();
  const [uploadError, setUploadError] = useState<FormErrors | undefined>();

  const loadSummary = useCallback(() => {
    api
      .call('GET /api/v1/datasets/{entryId}', { path: { entryId } })
      .then(setSummary)
      .catch((e: unknown) => setPageError(formErrorsOf(e)));
  }, [api, entryId]);
  useEffect(() => {
    api
      .call('GET /api/v1/catalog/entries/{id}', { path: { id: entryId } })
      .then(setEntry)
      .catch((e: unknown) => setPageError(formErrorsOf(e)));
    loadSummary();
  }, [api, entryId, loadSummary]);

  const loadRows = useCallback(
    (cursor: string | undefined, signal: AbortSignal) =>
      api.call('GET /api/v1/datasets/{entryId}/rows', { path: { entryId }, query: { cursor, limit: 50 }, signal }),
    [api, entryId],
  );
  const rows = usePaged<Row>(loadRows);

  const upload = async (event: FormEvent) => {
    event.preventDefault();
    setResult(undefined);
    setRefusal(undefined);
    setUploadError(undefined);
    const contentType = file && contentTypeOf(file);
    if (!file || !contentType) {
      setUploadError({ fields: { file: [t(file ? 'datasets.wrongType' : 'datasets.noFile')] }, form: [] });
      return;
    }
    setUploading(true);
    setProgress({ loaded: 0, total: file.size });
    try {
      const load = await api.upload('POST /api/v1/datasets/{entryId}/rows', { path: { entryId }, file, contentType, onProgress: setProgress });
      setResult(load);
      loadSummary();
      rows.reload();
    } catch (error) {
      const byLine = error instanceof ApiError ? uploadRefusalOf(error.view) : undefined;
      if (byLine) setRefusal(byLine);
      else setUploadError(formErrorsOf(error));
    } finally {
      setUploading(false);
    }
  };

  const itemNames = entry?.dataItems.map((i) => i.name) ?? [];
  const columns: Column<Row>[] = [
    { header: t('datasets.rowKey'), cell: (r) => <span className="mono">{r.rowKey}</span> },
    { header: t('datasets.region'), cell: (r) => r.regionCode },
    ...itemNames.map((name) => ({ header: name, cell: (r: Row) => textOf(r.data[name]) })),
    { header: t('datasets.changeSeq'), cell: (r: Row) => number(r.changeSeq), numeric: true },
  ];

  return (
    <>
      <PageHeader title={entry ? t('datasets.title', { name: entry.name }) : t('datasets.titleLoading')} />
      <p>
        <Link to={`/catalog/${entryId}`}>{t('datasets.backToEntry')}</Link>
      </p>
      <ErrorBanner errors={pageError} />
      {summary && (
        <dl className="facts dataset-summary">
          <dt>{t('datasets.rows')}</dt>
          <dd>{number(summary.rows)}</dd>
          <dt>{t('datasets.deletedRows')}</dt>
          <dd>{number(summary.deletedRows)}</dd>
          <dt>{t('datasets.lastChangeSeq')}</dt>
          <dd>{number(summary.lastChangeSeq)}</dd>
          <dt>{t('datasets.regions')}</dt>
          <dd>{summary.regions.length ? summary.regions.map((r) => `${r.regionCode}: ${number(r.rows)}`).join(t('common.listSeparator')) : '—'}</dd>
        </dl>
      )}
      <form className="panel upload-form" onSubmit={upload} aria-labelledby="upload-title">
        <h2 id="upload-title">{t('datasets.uploadTitle')}</h2>
        <p className="hint">{t('datasets.uploadHint', { columns: ['row_key', 'region_code', ...itemNames].join(', ') })}</p>
        <div className={`field${uploadError?.fields.file ? ' field-invalid' : ''}`}>
          <label htmlFor="dataset-file">{t('datasets.file')}</label>
          <input
            id="dataset-file"
            name="file"
            type="file"
            accept=".csv,.ndjson,.jsonl,text/csv,application/x-ndjson"
            aria-describedby={uploadError?.fields.file ? 'dataset-file-error' : undefined}
            aria-invalid={uploadError?.fields.file ? true : undefined}
            onChange={(e) => setFile(e.target.files?.[0])}
          />
          {uploadError?.fields.file && (
            <p className="field-error" id="dataset-file-error">
              {uploadError.fields.file.join('; ')}
            </p>
          )}
        </div>
        {progress && (uploading || result || refusal) && (
          <ProgressBar
            label={t('datasets.progress', { loaded: number(progress.loaded), total: number(progress.total) })}
            value={progress.loaded}
            max={progress.total}
          />
        )}
        <button type="submit" className="primary" disabled={uploading}>
          {uploading ? t('datasets.uploading') : t('datasets.upload')}
        </button>
      </form>
      <ErrorBanner errors={uploadError && { fields: {}, form: uploadError.form }} />
      {result && (
        <p className="notice" role="status">
          {t('datasets.loaded', {
            read: number(result.rowsRead),
            inserted: number(result.inserted),
            updated: number(result.updated),
            unchanged: number(result.unchanged),
          })}
        </p>
      )}
      {refusal && <UploadErrorTable refusal={refusal} />}
      <section className="detail-section" aria-labelledby="rows-title">
        <h2 id="rows-title">{t('datasets.rowsTitle')}</h2>
        <ErrorBanner errors={rows.error} />
        <DataTable caption={t('datasets.rowsTitle')} columns={columns} rows={rows.rows} rowKey={(r) => r.rowKey} busy={rows.busy} />
        <Pager page={rows.page} hasPrevious={rows.hasPrevious} hasNext={rows.hasNext} onPrevious={rows.previous} onNext={rows.next} />
      </section>
    </>
  );
}

function textOf(value: unknown): string {
  if (value === null || value === undefined) return '—';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
