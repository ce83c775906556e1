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
import { ShareState } from './SharesPage';
import '../returns/returns.css';

type Delivery = Schemas['ShareDeliveryViewDto'];
type Row = Schemas['SharedRowDto'];

/** One share: its facts, the deliveries of its grant to this node, and the rows delivered. */
export function ShareDetailPage({ params }: PageProps) {
  const { t, dateTime, number } = useI18n();
  const { api } = useSession();
  const id = params.id;
  const [share, setShare] = useState<Schemas['ShareViewDto'] | undefined>();
  const [deliveries, setDeliveries] = useState<Delivery[]>([]);
  const [errors, setErrors] = useState<FormErrors | undefined>();

  useEffect(() => {
    const abort = new AbortController();
    const failed = (e: unknown) => (e as Error).name !== 'AbortError' && setErrors(formErrorsOf(e));
    api.call('GET /api/v1/shares/{id}', { path: { id }, signal: abort.signal }).then(setShare).catch(failed);
    return () => abort.abort();
  }, [api, id]);

  const consumer = share?.side === 'consumer';
  useEffect(() => {
    if (!consumer) return;
    const abort = new AbortController();
    api
      .call('GET /api/v1/shares/{id}/deliveries', { path: { id }, query: { limit: 20 }, signal: abort.signal })
      .then(setDeliveries)
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setErrors(formErrorsOf(e)));
    return () => abort.abort();
  }, [api, id, consumer]);

  const rows = usePaged(
    useCallback(
      (cursor: string | undefined, signal: AbortSignal) =>
        consumer
          ? api.call('GET /api/v1/shares/{id}/rows', { path: { id }, query: { cursor, limit: 50 }, signal })
          : Promise.resolve({ items: [] as Row[], nextCursor: null }),
      [api, id, consumer],
    ),
  );

  return (
    <>
      <PageHeader title={share ? t('shares.detail.title', { entry: share.entry.name }) : t('shares.detail.loading')} />
      <ErrorBanner errors={errors} />
      {share && (
        <dl className="facts">
          <dt>{t('shares.col.state')}</dt>
          <dd>
            <ShareState share={share} />
          </dd>
          <dt>{t('shares.col.provider')}</dt>
          <dd>{share.provider}</dd>
          <dt>{t('shares.col.consumer')}</dt>
          <dd>{share.consumer}</dd>
          <dt>{t('shares.col.purpose')}</dt>
          <dd>{share.purpose}</dd>
          <dt>{t('shares.col.items')}</dt>
          <dd>{share.items.join(t('common.listSeparator'))}</dd>
          <dt>{t('shares.col.deadline')}</dt>
          <dd>
            {dateTime(share.deadline)}
            {share.overdue && <span className="overdue"> {t('shares.overdue')}</span>}
          </dd>
          <dt>{t('shares.col.expires')}</dt>
          <dd>{dateTime(share.expiresAt)}</dd>
        </dl>
      )}
      {consumer && (
        <>
          <section aria-labelledby="share-deliveries">
            <h2 id="share-deliveries">{t('shares.detail.deliveries')}</h2>
            <DataTable
              caption={t('shares.detail.deliveries')}
              rows={deliveries}
              rowKey={(d) => d.id}
              columns={[
                { header: t('shares.delivery.at'), cell: (d) => dateTime(d.createdAt) },
                { header: t('shares.delivery.kind'), cell: (d) => t(`shares.delivery.kind.${d.kind}`) },
                { header: t('shares.delivery.state'), cell: (d) => `${t(`shares.delivery.state.${d.state}`)}${d.rule ? ` (${d.rule})` : ''}` },
                { header: t('shares.delivery.rows'), cell: (d) => number(d.rowsDone), numeric: true },
                { header: t('shares.delivery.finished'), cell: (d) => dateTime(d.finishedAt) },
              ]}
            />
          </section>
          <section aria-labelledby="share-rows">
            <h2 id="share-rows">{t('shares.detail.rows')}</h2>
            <ErrorBanner errors={rows.error} />
            <DataTable
              caption={t('shares.detail.rows')}
              rows={rows.rows}
              rowKey={(r) => r.rowKey}
              busy={rows.busy}
              columns={[
                { header: t('returns.rows.key'), cell: (r: Row) => r.rowKey },
                { header: t('returns.rows.region'), cell: (r: Row) => r.regionCode },
                ...(share?.items ?? []).map((name) => ({ header: name, cell: (r: Row) => String(r.data[name] ?? '') })),
              ]}
            />
            <Pager page={rows.page} hasPrevious={rows.hasPrevious} hasNext={rows.hasNext} onPrevious={rows.previous} onNext={rows.next} />
          </section>
        </>
      )}
    </>
  );
}
