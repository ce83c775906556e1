import { useEffect, useState } from 'react';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import type { PageProps } from '../../app/page-route';
import { useRouter } from '../../app/router';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { PageHeader } from '../../ui/PageHeader';
import { EntryForm } from './EntryForm';
import { createBodyOf, emptyEntryForm, entryFormOf, updateBodyOf, type EntryView } from './entry-form-model';
import { useProviders } from './use-providers';
import './catalog.css';

/** Register an entry (/catalog/new). */
export function NewEntryPage(_: PageProps) {
  const { t } = useI18n();
  const { api } = useSession();
  const { navigate } = useRouter();
  const providers = useProviders(api);
  return (
    <>
      <PageHeader title={t('catalog.newTitle')} />
      <EntryForm
        mode="create"
        initial={emptyEntryForm()}
        providers={providers}
        onCancel={() => navigate('/catalog')}
        onSubmit={async (form) => {
          const entry = await api.call('POST /api/v1/catalog/entries', { body: createBodyOf(form) });
          navigate(`/catalog/${entry.id}`);
        }}
      />
    </>
  );
}

/** Edit an entry (/catalog/:id/edit): a new version, refused with 409 if someone else made one meanwhile. */
export function EditEntryPage({ params }: PageProps) {
  const { t } = useI18n();
  const { api } = useSession();
  const { navigate } = useRouter();
  const providers = useProviders(api);
  const [entry, setEntry] = useState<EntryView | undefined>();
  const [error, setError] = useState<FormErrors | undefined>();
  useEffect(() => {
    const abort = new AbortController();
    api
      .call('GET /api/v1/catalog/entries/{id}', { path: { id: params.id }, signal: abort.signal })
      .then(setEntry)
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setError(formErrorsOf(e)));
    return () => abort.abort();
  }, [api, params.id]);
  return (
    <>
      <PageHeader title={entry ? t('catalog.editTitle', { name: entry.name }) : t('catalog.editTitleLoading')} />
      <ErrorBanner errors={error} />
      {!entry && !error && <p>{t('app.loading')}</p>}
      {entry && (
        <EntryForm
          mode="edit"
          initial={entryFormOf(entry)}
          providers={providers}
          onCancel={() => navigate(`/catalog/${entry.id}`)}
          onSubmit={async (form) => {
            await api.call('PATCH /api/v1/catalog/entries/{id}', { path: { id: entry.id }, body: updateBodyOf(form, entry.version) });
            navigate(`/catalog/${entry.id}`);
          }}
        />
      )}
    </>
  );
}
