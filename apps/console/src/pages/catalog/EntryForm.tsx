import { useState, type FormEvent } from 'react';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import { useI18n } from '../../i18n/i18n';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { SelectField, TextAreaField, TextField } from '../../ui/Field';
import { DataItemsEditor } from './DataItemsEditor';
import { ENTRY_TYPES, GRADES, OPEN_TYPES, SHARE_TYPES, UPDATE_CYCLES, entryFieldOf, entryFormHasField, type EntryFormState } from './entry-form-model';

export interface Provider {
  id: string;
  name: string;
}

/**
 * Registers or edits an entry. The API decides what is valid: its 400 (`fields`, a row's field as
 * `dataItems.1.type`) and 409 (`field`) show beside the inputs, a 422 (a rule and its article) in the banner.
 */
export function EntryForm({
  initial,
  mode,
  providers,
  onSubmit,
  onCancel,
}: {
  initial: EntryFormState;
  mode: 'create' | 'edit';
  providers: Provider[];
  onSubmit: (form: EntryFormState) => Promise<void>;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState<FormErrors | undefined>();
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof EntryFormState>(name: K, value: EntryFormState[K]) => setForm((f) => ({ ...f, [name]: value }));
  const fields = errors?.fields ?? {};

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await onSubmit(form);
      setErrors(undefined);
    } catch (error) {
      setErrors(formErrorsOf(error, entryFieldOf));
    } finally {
      setBusy(false);
    }
  };

  const providerOptions = [{ value: '', label: t('catalog.chooseProvider') }, ...providers.map((p) => ({ value: p.id, label: p.name }))];
  if (form.providerId && !providers.some((p) => p.id === form.providerId)) providerOptions.push({ value: form.providerId, label: form.providerId });

  return (
    <form className="entry-form" onSubmit={submit} noValidate aria-busy={busy || undefined}>
      <ErrorBanner errors={errors} fieldLabel={(field) => (entryFormHasField(field) ? field : undefined)} />
      <fieldset>
        <legend>{t('catalog.form.basics')}</legend>
        <div className="grid">
          <SelectField
            label={t('catalog.type')}
            name="type"
            value={form.type}
            disabled={mode === 'edit'}
            errors={fields.type}
            onChange={(e) => set('type', e.target.value as EntryFormState['type'])}
            options={ENTRY_TYPES.map((v) => ({ value: v, label: t(`catalog.type.${v}`) }))}
          />
          <TextField
            label={t('catalog.code')}
            name="code"
            value={form.code}
            disabled={mode === 'edit'}
            hint={mode === 'create' ? t('catalog.codeHint') : undefined}
            errors={fields.code}
            onChange={(e) => set('code', e.target.value)}
          />
          <TextField label={t('catalog.name')} name="name" required value={form.name} errors={fields.name} onChange={(e) => set('name', e.target.value)} />
          <SelectField
            label={t('catalog.provider')}
            name="providerId"
            required
            value={form.providerId}
            errors={fields.providerId}
            onChange={(e) => set('providerId', e.target.value)}
            options={providerOptions}
          />
          <TextField
            label={t('catalog.category')}
            name="category"
            required
            value={form.category}
            errors={fields.category}
            onChange={(e) => set('category', e.target.value)}
          />
          <TextField
            label={t('catalog.regionScope')}
            name="regionScope"
            value={form.regionScope}
            hint={t('catalog.regionScopeHint')}
            errors={fields.regionScope}
            onChange={(e) => set('regionScope', e.target.value)}
          />
        </div>
        <TextAreaField
          label={t('catalog.summary')}
          name="summary"
          required
          rows={3}
          value={form.summary}
          errors={fields.summary}
          onChange={(e) => set('summary', e.target.value)}
        />
      </fieldset>
      <fieldset>
        <legend>{t('catalog.form.sharing')}</legend>
        <div className="grid">
          <SelectField
            label={t('catalog.grade')}
            name="grade"
            value={form.grade}
            errors={fields.grade}
            onChange={(e) => set('grade', e.target.value as EntryFormState['grade'])}
            options={GRADES.map((v) => ({ value: v, label: v }))}
          />
          <SelectField
            label={t('catalog.shareType')}
            name="shareType"
            value={form.shareType}
            errors={fields.shareType}
            onChange={(e) => set('shareType', e.target.value as EntryFormState['shareType'])}
            options={SHARE_TYPES.map((v) => ({ value: v, label: t(`catalog.shareType.${v}`) }))}
          />
          {form.shareType === 'conditional' && (
            <TextField
              label={t('catalog.shareCondition')}
              name="shareCondition"
              required
              value={form.shareCondition}
              errors={fields.shareCondition}
              onChange={(e) => set('shareCondition', e.target.value)}
            />
          )}
          {form.shareType === 'none' && (
            <TextField
              label={t('catalog.legalBasis')}
              name="legalBasis"
              required
              value={form.legalBasis}
              errors={fields.legalBasis}
              onChange={(e) => set('legalBasis', e.target.value)}
            />
          )}
          <SelectField
            label={t('catalog.openType')}
            name="openType"
            value={form.openType}
            errors={fields.openType}
            onChange={(e) => set('openType', e.target.value as EntryFormState['openType'])}
            options={OPEN_TYPES.map((v) => ({ value: v, label: t(`catalog.openType.${v}`) }))}
          />
          <SelectField
            label={t('catalog.updateCycle')}
            name="updateCycle"
            value={form.updateCycle}
            errors={fields.updateCycle}
            onChange={(e) => set('updateCycle', e.target.value as EntryFormState['updateCycle'])}
            options={UPDATE_CYCLES.map((v) => ({ value: v, label: t(`catalog.updateCycle.${v}`) }))}
          />
          <TextField label={t('catalog.format')} name="format" value={form.format} errors={fields.format} onChange={(e) => set('format', e.target.value)} />
          <TextField
            label={t('catalog.releaseDate')}
            name="releaseDate"
            type="date"
            value={form.releaseDate}
            errors={fields.releaseDate}
            onChange={(e) => set('releaseDate', e.target.value)}
          />
        </div>
      </fieldset>
      <DataItemsEditor rows={form.dataItems} onChange={(rows) => set('dataItems', rows)} errors={fields} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {mode === 'create' ? t('catalog.register') : t('common.save')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
