import { useEffect, useState } from 'react';
import type { Schemas } from '../../api/client';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { SelectField, TextAreaField, TextField } from '../../ui/Field';

type Entry = Schemas['CatalogEntryViewDto'];

/** The division codes above a county or city code: its province, and a county's city. */
export function ancestorsOf(code: string): string[] {
  const province = `${code.slice(0, 2)}0000`;
  const city = `${code.slice(0, 4)}00`;
  return [...new Set([province, city])].filter((c) => c !== code);
}

/**
 * Ask an ancestor for the rows of one of its data entries (Article 9). The entries offered are the
 * data entries the province's catalog holds from this node's ancestors; the holder is the entry's origin.
 */
export function ReturnRequestForm({ onCreated, onCancel }: { onCreated: (request: Schemas['ReturnRequestViewDto']) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const { api, node } = useSession();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [entryId, setEntryId] = useState('');
  const [holder, setHolder] = useState(node.parent?.code ?? '');
  const [scope, setScope] = useState<'self' | 'subtree'>('self');
  const [purpose, setPurpose] = useState('');
  const [errors, setErrors] = useState<FormErrors | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const abort = new AbortController();
    const ancestors = ancestorsOf(node.code);
    // The province's catalog (from any node): the data entries registered at this node's ancestors.
    api
      .call('GET /api/v1/search', { query: { type: 'data', limit: 100 }, signal: abort.signal })
      .then((page) => setEntries(page.items.filter((e) => ancestors.includes(e.origin))))
      .catch(() => setEntries([]));
    return () => abort.abort();
  }, [api, node.code]);

  const choose = (id: string) => {
    setEntryId(id);
    const entry = entries.find((e) => e.id === id);
    if (entry) setHolder(entry.origin);
  };

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const created = await api.call('POST /api/v1/returns/requests', { body: { entryId, holder, scope, purpose } });
      onCreated(created);
    } catch (error) {
      setErrors(formErrorsOf(error));
    } finally {
      setBusy(false);
    }
  };

  const labels: Record<string, string> = {
    entryId: t('returns.form.entry'),
    holder: t('returns.form.holder'),
    scope: t('returns.form.scope'),
    purpose: t('returns.form.purpose'),
  };
  return (
    <form className="panel return-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="return-form-title">
      <h2 id="return-form-title">{t('returns.form.title')}</h2>
      <ErrorBanner errors={errors} fieldLabel={(field) => labels[field]} />
      {entries.length > 0 ? (
        <SelectField
          label={labels.entryId}
          required
          value={entryId}
          onChange={(e) => choose(e.target.value)}
          errors={errors?.fields.entryId}
          options={[{ value: '', label: t('returns.form.chooseEntry') }, ...entries.map((e) => ({ value: e.id, label: `${e.name} (${e.code}, ${e.origin})` }))]}
        />
      ) : (
        <TextField
          label={labels.entryId}
          hint={t('returns.form.entryHint')}
          required
          value={entryId}
          onChange={(e) => setEntryId(e.target.value)}
          errors={errors?.fields.entryId}
        />
      )}
      <TextField
        label={labels.holder}
        hint={t('returns.form.holderHint')}
        required
        value={holder}
        onChange={(e) => setHolder(e.target.value)}
        errors={errors?.fields.holder}
        inputMode="numeric"
      />
      <SelectField
        label={labels.scope}
        value={scope}
        onChange={(e) => setScope(e.target.value as 'self' | 'subtree')}
        errors={errors?.fields.scope}
        options={[
          { value: 'self', label: t('returns.scope.self') },
          { value: 'subtree', label: t('returns.scope.subtree') },
        ]}
      />
      <TextAreaField label={labels.purpose} required value={purpose} onChange={(e) => setPurpose(e.target.value)} errors={errors?.fields.purpose} rows={3} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {t('returns.form.submit')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
