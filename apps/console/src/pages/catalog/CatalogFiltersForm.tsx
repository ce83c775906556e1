import { useState, type FormEvent } from 'react';
import { useI18n } from '../../i18n/i18n';
import { SelectField, TextField } from '../../ui/Field';
import type { CatalogFilters } from './catalog-query';
import { ENTRY_TYPES } from './entry-form-model';

/** The list's filters; a search applies them (typing alone does not fire a request per key). */
export function CatalogFiltersForm({ value, onApply }: { value: CatalogFilters; onApply: (filters: CatalogFilters) => void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(value);
  const set = <K extends keyof CatalogFilters>(name: K, v: CatalogFilters[K]) => setDraft((d) => ({ ...d, [name]: v }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  const province = draft.source === 'province';
  return (
    <form className="filters" role="search" aria-label={t('catalog.filters')} onSubmit={submit}>
      <fieldset className="catalog-source">
        <legend>{t('catalog.source')}</legend>
        {(['node', 'province'] as const).map((source) => (
          <label key={source}>
            <input type="radio" name="source" value={source} checked={draft.source === source} onChange={() => onApply({ ...draft, source })} />
            {t(`catalog.source.${source}`)}
          </label>
        ))}
      </fieldset>
      <TextField label={t('catalog.q')} name="q" type="search" value={draft.q} onChange={(e) => set('q', e.target.value)} />
      <SelectField
        label={t('catalog.type')}
        name="type"
        value={draft.type}
        onChange={(e) => set('type', e.target.value as CatalogFilters['type'])}
        options={[{ value: '', label: t('catalog.any') }, ...ENTRY_TYPES.map((v) => ({ value: v, label: t(`catalog.type.${v}`) }))]}
      />
      {!province && (
        <SelectField
          label={t('catalog.scope')}
          name="scope"
          value={draft.scope}
          onChange={(e) => set('scope', e.target.value as CatalogFilters['scope'])}
          options={[
            { value: 'local', label: t('catalog.scope.local') },
            { value: 'subtree', label: t('catalog.scope.subtree') },
          ]}
        />
      )}
      <SelectField
        label={t('catalog.status')}
        name="status"
        value={draft.status}
        onChange={(e) => set('status', e.target.value as CatalogFilters['status'])}
        options={[
          { value: 'active', label: t('catalog.status.active') },
          { value: 'retired', label: t('catalog.status.retired') },
          ...(province ? [] : [{ value: 'all', label: t('catalog.status.all') }]),
        ]}
      />
      <TextField
        label={t('catalog.origin')}
        name="origin"
        value={draft.origin}
        inputMode="numeric"
        pattern="\d{6}"
        hint={t('catalog.originHint')}
        onChange={(e) => set('origin', e.target.value)}
      />
      <button type="submit" className="primary">
        {t('common.search')}
      </button>
    </form>
  );
}
