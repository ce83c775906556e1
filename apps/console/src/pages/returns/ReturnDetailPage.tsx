import { useCallback, useEffect, useState } from 'react';
import type { PageProps } from '../../app/page-route';
import type { Schemas } from '../../api/client';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { DataTable, Pager } from '../../ui/DataTable';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { PageHeader } from '../../ui/PageHeader';
import { usePaged } from '../../ui/use-paged';
import { JobProgress, type ReturnJob } from './JobProgress';
import { returnStateKey } from './state-label';
import './returns.css';

/** How often a running transfer's figures are read again. */
export const POLL_MS = 1500;

/** One return request: its facts, its transfer jobs followed live, and the rows it brought here. */
export function ReturnDetailPage({ params }: PageProps) {
  const { t, dateTime } = useI18n();
  const { api, can } = useSession();
  const id = params.id;
  const [request, setRequest] = useState<Schemas['ReturnRequestViewDto'] | undefined>();
  const [jobs, setJobs] = useState<ReturnJob[]>([]);
  const [errors, setErrors] = useState<FormErrors | undefined>();
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    api
      .call('GET /api/v1/returns/requests/{id}', { path: { id }, signal: abort.signal })
      .then((answer) => {
        setRequest(answer);
        // A pending request is read again until the holder decides (the decision reaches this node by message).
        if (answer.state === 'pending') timer = setTimeout(() => setTick((n) => n + 1), POLL_MS * 2);
      })
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setErrors(formErrorsOf(e)));
    return () => {
      abort.abort();
      if (timer) clearTimeout(timer);
    };
  }, [api, id, tick]);

  const outgoing = request?.direction === 'outgoing';
  const running = jobs.some((j) => j.state === 'queued' || j.state === 'running');
  // Jobs: read once, then every POLL_MS while one is queued or running (or the grant is new and none exists yet).
  const waitingForFirst = outgoing && request?.state === 'granted' && jobs.length === 0;
  useEffect(() => {
    if (!outgoing) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      try {
        const page = await api.call('GET /api/v1/returns/jobs', { query: { requestId: id, limit: 10 } });
        if (stopped) return;
        setJobs(page.items);
        const active = page.items.some((j) => j.state === 'queued' || j.state === 'running');
        if (active || (request?.state === 'granted' && page.items.length === 0)) timer = setTimeout(() => void read(), POLL_MS);
      } catch (e) {
        if (!stopped) setErrors(formErrorsOf(e));
      }
    };
    void read();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [api, id, outgoing, request?.state, tick]);

  // A finished job brings new rows: the table is read again when the newest finished job changes.
  const newestDone = jobs.find((j) => j.state === 'done')?.id;

  const rows = usePaged(
    useCallback(
      (cursor: string | undefined, signal: AbortSignal) =>
        outgoing
          ? api.call('GET /api/v1/returns/requests/{id}/rows', { path: { id }, query: { cursor, limit: 50 }, signal })
          : Promise.resolve({ items: [], nextCursor: null }),
      [api, id, outgoing, newestDone],
    ),
  );

  const sync = async () => {
    try {
      await api.call('POST /api/v1/returns/requests/{id}/sync', { path: { id } });
      setTick((n) => n + 1);
    } catch (e) {
      setErrors(formErrorsOf(e));
    }
  };

  const items = request?.entry.dataItems ?? [];
  const columns = items.map((item) => item.name);
  return (
    <>
      <PageHeader
        title={request ? t('returns.detail.title', { entry: request.entry.name }) : t('returns.detail.loading')}
        actions={
          outgoing &&
          request?.state === 'granted' &&
          can('returns:request') && (
            <button type="button" onClick={() => void sync()} disabled={running}>
              {t('returns.detail.sync')}
            </button>
          )
        }
      />
      <ErrorBanner errors={errors} />
      {request && (
        <dl className="facts">
          <dt>{t('returns.col.state')}</dt>
          <dd>
            {t(returnStateKey(request.state))}
            {request.reason && ` — ${request.reason}`}
          </dd>
          <dt>{t('returns.col.holder')}</dt>
          <dd>{request.holder}</dd>
          <dt>{t('returns.col.requester')}</dt>
          <dd>{request.requester}</dd>
          <dt>{t('returns.col.scope')}</dt>
          <dd>{t(`returns.scope.${request.scope}`)}</dd>
          <dt>{t('returns.col.purpose')}</dt>
          <dd>{request.purpose}</dd>
          <dt>{t('returns.detail.lastSync')}</dt>
          <dd>{dateTime(request.lastSyncAt)}</dd>
        </dl>
      )}
      {outgoing && (
        <>
          <section aria-labelledby="return-jobs">
            <h2 id="return-jobs">{t('returns.detail.jobs')}</h2>
            {jobs.length === 0 && <p>{waitingForFirst ? t('returns.detail.waitingForJob') : t('common.empty')}</p>}
            {jobs.slice(0, 3).map((job) => (
              <JobProgress key={job.id} job={job} />
            ))}
          </section>
          <section aria-labelledby="return-rows">
            <h2 id="return-rows">{t('returns.detail.rows')}</h2>
            <ErrorBanner errors={rows.error} />
            <DataTable
              caption={t('returns.detail.rows')}
              rows={rows.rows}
              rowKey={(r) => r.rowKey}
              busy={rows.busy}
              columns={[
                { header: t('returns.rows.key'), cell: (r: Schemas['ReturnedRowViewDto']) => r.rowKey },
                { header: t('returns.rows.region'), cell: (r: Schemas['ReturnedRowViewDto']) => r.regionCode },
                ...columns.map((name) => ({ header: name, cell: (r: Schemas['ReturnedRowViewDto']) => String(r.data[name] ?? '') })),
              ]}
            />
            <Pager page={rows.page} hasPrevious={rows.hasPrevious} hasNext={rows.hasNext} onPrevious={rows.previous} onNext={rows.next} />
          </section>
        </>
      )}
    </>
  );
}
