import { useCallback, useMemo, useState } from 'react';
import type { PageProps } from '../../app/page-route';
import { Link, useRouter } from '../../app/router';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { DataTable, Pager, type Column } from '../../ui/DataTable';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { PageHeader } from '../../ui/PageHeader';
import { usePaged } from '../../ui/use-paged';
import { catalogQueryOf, filtersFromSearch, searchOfFilters, searchQueryOf, type CatalogFilters } from './catalog-query';
import { CatalogFiltersForm } from './CatalogFiltersForm';
import type { EntryView } from './entry-form-model';
import { StatusBadge } from './StatusBadge';
import './catalog.css';

/** The catalog: this node's (its own or its subtree's entries) or the whole province's through the sharing channel. */
export function CatalogPage(_: PageProps) {
  const { t, dateTime } = useI18n();
  const { api, can } = useSession();
  const { query, navigate, path } = useRouter();
  const search = query.toString();
  const filters = useMemo(() => filtersFromSearch(new URLSearchParams(search)), [search]);

  // The province search falls back to this node's subtree when the province cannot be reached: say so.
  const [fallback, setFallback] = useState(false);
  const load = useCallback(
    async (cursor: string | undefined, signal: AbortSignal) => {
      if (filters.source !== 'province') {
        setFallback(false);
        return api.call('GET /api/v1/catalog/entries', { query: catalogQueryOf(filters, cursor), signal });
      }
      const page = await api.call('GET /api/v1/search', { query: searchQueryOf(filters, cursor), signal });
      setFallback(page.scope === 'subtree');
      return page;
    },
    [api, filters],
  );
  const paged = usePaged<EntryView>(load);
  const apply = (next: CatalogFilters) => navigate(`${path}${searchOfFilters(next)}`, { replace: true });

  const columns: Column<EntryView>[] = [
    { header: t('catalog.name'), cell: (e) => <Link to={`/catalog/${e.id}`}>{e.name}</Link> },
    { header: t('catalog.code'), cell: (e) => <span className="mono">{e.code}</span> },
    { header: t('catalog.type'), cell: (e) => t(`catalog.type.${e.type}`) },
    { header: t('catalog.origin'), cell: (e) => e.origin },
    { header: t('catalog.grade'), cell: (e) => e.grade },
    { header: t('catalog.status'), cell: (e) => <StatusBadge status={e.status} /> },
    { header: t('catalog.version'), cell: (e) => e.version, numeric: true },
    { header: t('catalog.updatedAt'), cell: (e) => dateTime(e.updatedAt) },
  ];

  return (
    <>
      <PageHeader
        title={t('catalog.title')}
        actions={
          can('catalog:write') && (
            <Link to="/catalog/new" className="button primary">
              {t('catalog.register')}
            </Link>
          )
        }
      />
      <CatalogFiltersForm key={search} value={filters} onApply={apply} />
      {fallback && (
        <p className="notice warn" role="status">
          {t('catalog.provinceUnreachable')}
        </p>
      )}
      <ErrorBanner errors={paged.error} />
      <DataTable caption={t('catalog.title')} columns={columns} rows={paged.rows} rowKey={(e) => e.id} busy={paged.busy} />
      <Pager page={paged.page} hasPrevious={paged.hasPrevious} hasNext={paged.hasNext} onPrevious={paged.previous} onNext={paged.next} />
    </>
  );
}
