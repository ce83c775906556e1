import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../../api/client';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import type { PageProps } from '../../app/page-route';
import { Link, useRouter } from '../../app/router';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { DataTable } from '../../ui/DataTable';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { PageHeader } from '../../ui/PageHeader';
import type { EntryView } from './entry-form-model';
import { StatusBadge } from './StatusBadge';
import { useProviders } from './use-providers';
import './catalog.css';

/** What each place that can be asked holds of the entry: this node's catalog and the province's (the sharing channel's). */
interface Holdings {
  here: EntryView | 'absent' | undefined;
  province: EntryView | 'absent' | 'unavailable' | undefined;
}

/** One entry: its fields, data items, version, which version this node and the province hold; edit, retire, load data. */
export function EntryDetailPage({ params }: PageProps) {
  const { t, dateTime } = useI18n();
  const { api, can, node } = useSession();
  const { navigate } = useRouter();
  const [holdings, setHoldings] = useState<Holdings>({ here: undefined, province: undefined });
  const [error, setError] = useState<FormErrors | undefined>();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const providers = useProviders(api);

  const load = useCallback(
    (signal?: AbortSignal) => {
      const here = api.call('GET /api/v1/catalog/entries/{id}', { path: { id: params.id }, signal }).then(
        (e): EntryView | 'absent' => e,
        (e: unknown): 'absent' => {
          if (e instanceof ApiError && e.status === 404) return 'absent';
          throw e;
        },
      );
      const province = api.call('GET /api/v1/search/entries/{id}', { path: { id: params.id }, signal }).then(
        (e): Holdings['province'] => e,
        (e: unknown): Holdings['province'] => (e instanceof ApiError && e.status === 404 ? 'absent' : 'unavailable'),
      );
      Promise.all([here, province])
        .then(([h, p]) => {
          setHoldings({ here: h, province: p });
          if (h === 'absent' && typeof p !== 'object')
            setError(formErrorsOf(new ApiError(404, { statusCode: 404, error: 'Not Found', message: t('catalog.notFound') })));
        })
        .catch((e: unknown) => (e as Error).name !== 'AbortError' && setError(formErrorsOf(e)));
    },
    [api, params.id, t],
  );
  useEffect(() => {
    const abort = new AbortController();
    load(abort.signal);
    return () => abort.abort();
  }, [load]);

  const entry = typeof holdings.here === 'object' ? holdings.here : typeof holdings.province === 'object' ? holdings.province : undefined;
  const ownHere = entry !== undefined && entry.origin === node.code && typeof holdings.here === 'object';
  const editable = ownHere && entry.status === 'active' && can('catalog:write');

  const retire = async () => {
    if (!entry) return;
    setBusy(true);
    try {
      await api.call('DELETE /api/v1/catalog/entries/{id}', { path: { id: entry.id } });
      setConfirming(false);
      setError(undefined);
      load();
    } catch (e) {
      setConfirming(false);
      setError(formErrorsOf(e));
    } finally {
      setBusy(false);
    }
  };

  const versionOf = (held: Holdings['here'] | Holdings['province']) =>
    held === undefined
      ? t('app.loading')
      : typeof held === 'object'
        ? t('catalog.versionHeld', { version: held.version, status: t(`catalog.status.${held.status}`) })
        : t(`catalog.held.${held}`);

  return (
    <>
      <PageHeader
        title={entry ? entry.name : t('catalog.detailTitle')}
        actions={
          entry && (
            <>
              {editable && (
                <Link to={`/catalog/${entry.id}/edit`} className="button">
                  {t('catalog.edit')}
                </Link>
              )}
              {ownHere && entry.type === 'data' && entry.status === 'active' && can('datasets:write') && (
                <Link to={`/datasets/${entry.id}`} className="button">
                  {t('catalog.loadData')}
                </Link>
              )}
              {editable && (
                <button type="button" className="danger" onClick={() => setConfirming(true)}>
                  {t('catalog.retire')}
                </button>
              )}
            </>
          )
        }
      />
      <ErrorBanner errors={error} />
      {!entry && !error && <p>{t('app.loading')}</p>}
      {entry && (
        <>
          <dl className="facts">
            <dt>{t('catalog.code')}</dt>
            <dd className="mono">{entry.code}</dd>
            <dt>{t('catalog.type')}</dt>
            <dd>{t(`catalog.type.${entry.type}`)}</dd>
            <dt>{t('catalog.status')}</dt>
            <dd>
              <StatusBadge status={entry.status} />
            </dd>
            <dt>{t('catalog.summary')}</dt>
            <dd>{entry.summary}</dd>
            <dt>{t('catalog.origin')}</dt>
            <dd>{entry.origin}</dd>
            <dt>{t('catalog.provider')}</dt>
            <dd>{providers.find((p) => p.id === entry.providerId)?.name ?? <span className="mono">{entry.providerId}</span>}</dd>
            <dt>{t('catalog.category')}</dt>
            <dd>{entry.category}</dd>
            <dt>{t('catalog.regionScope')}</dt>
            <dd>{entry.regionScope}</dd>
            <dt>{t('catalog.grade')}</dt>
            <dd>{entry.grade}</dd>
            <dt>{t('catalog.shareType')}</dt>
            <dd>
              {t(`catalog.shareType.${entry.shareType}`)}
              {entry.shareCondition && ` — ${entry.shareCondition}`}
              {entry.legalBasis && ` — ${entry.legalBasis}`}
            </dd>
            <dt>{t('catalog.openType')}</dt>
            <dd>{t(`catalog.openType.${entry.openType}`)}</dd>
            <dt>{t('catalog.updateCycle')}</dt>
            <dd>{t(`catalog.updateCycle.${entry.updateCycle}`)}</dd>
            <dt>{t('catalog.format')}</dt>
            <dd>{entry.format ?? '—'}</dd>
            <dt>{t('catalog.releaseDate')}</dt>
            <dd>{entry.releaseDate ?? '—'}</dd>
            <dt>{t('catalog.version')}</dt>
            <dd>{entry.version}</dd>
            <dt>{t('catalog.createdAt')}</dt>
            <dd>{dateTime(entry.createdAt)}</dd>
            <dt>{t('catalog.updatedAt')}</dt>
            <dd>{dateTime(entry.updatedAt)}</dd>
          </dl>
          <section className="detail-section" aria-labelledby="data-items-title">
            <h2 id="data-items-title">{t('catalog.dataItems')}</h2>
            <DataTable
              caption={t('catalog.dataItems')}
              rows={entry.dataItems.map((item, i) => ({ ...item, n: i + 1 }))}
              rowKey={(item) => String(item.n)}
              columns={[
                { header: t('catalog.item.number'), cell: (i) => i.n, numeric: true },
                { header: t('catalog.item.name'), cell: (i) => i.name },
                { header: t('catalog.item.type'), cell: (i) => t(`catalog.itemType.${i.type}`) },
                { header: t('catalog.item.sensitive'), cell: (i) => (i.sensitive ? t('catalog.yes') : t('catalog.no')) },
              ]}
            />
          </section>
          <section className="detail-section" aria-labelledby="tiers-title">
            <h2 id="tiers-title">{t('catalog.tiers')}</h2>
            <p className="hint">{t('catalog.tiersHint')}</p>
            <DataTable
              caption={t('catalog.tiers')}
              rows={[
                { key: 'here', place: t('catalog.tier.here', { code: node.code }), held: versionOf(holdings.here) },
                { key: 'province', place: t('catalog.tier.province'), held: versionOf(holdings.province) },
              ]}
              rowKey={(r) => r.key}
              columns={[
                { header: t('catalog.tier'), cell: (r) => r.place },
                { header: t('catalog.tierVersion'), cell: (r) => r.held },
              ]}
            />
          </section>
        </>
      )}
      {confirming && entry && (
        <ConfirmDialog
          title={t('catalog.retireTitle')}
          message={t('catalog.retireMessage', { name: entry.name })}
          confirmLabel={t('catalog.retire')}
          busy={busy}
          onConfirm={() => void retire()}
          onCancel={() => setConfirming(false)}
        />
      )}
      {!entry && error && (
        <p>
          <button type="button" onClick={() => navigate('/catalog')}>
            {t('catalog.backToList')}
          </button>
        </p>
      )}
    </>
  );
}
