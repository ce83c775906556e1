import { useI18n } from '../../i18n/i18n';
import { SelectField, TextField } from '../../ui/Field';
import { ITEM_TYPES, newItemRow, type DataItemRow } from './entry-form-model';

/**
 * The entry's data items as rows: add, remove, move. Each row's inputs carry the API's field names
 * (`dataItems.2.name`), so a refusal naming a row's field shows beside that row's input.
 */
export function DataItemsEditor({
  rows,
  onChange,
  errors,
}: {
  rows: DataItemRow[];
  onChange: (rows: DataItemRow[]) => void;
  errors: Record<string, string[]>;
}) {
  const { t } = useI18n();
  const update = (index: number, change: Partial<DataItemRow>) => onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  const move = (index: number, by: number) => {
    const next = [...rows];
    const [row] = next.splice(index, 1);
    next.splice(index + by, 0, row);
    onChange(next);
  };
  return (
    <fieldset className="data-items">
      <legend>{t('catalog.dataItems')}</legend>
      {errors.dataItems && (
        <p className="field-error" role="alert">
          {errors.dataItems.join('; ')}
        </p>
      )}
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">{t('catalog.dataItems')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('catalog.item.number')}</th>
              <th scope="col">{t('catalog.item.name')}</th>
              <th scope="col">{t('catalog.item.type')}</th>
              <th scope="col">{t('catalog.item.sensitive')}</th>
              <th scope="col">{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => {
              const n = index + 1;
              const at = (field: string) => errors[`dataItems.${index}.${field}`];
              return (
                <tr key={row.key}>
                  <td className="numeric">{n}</td>
                  <td>
                    <TextField
                      label={t('catalog.item.nameOf', { n })}
                      name={`dataItems.${index}.name`}
                      value={row.name}
                      errors={at('name')}
                      onChange={(e) => update(index, { name: e.target.value })}
                    />
                  </td>
                  <td>
                    <SelectField
                      label={t('catalog.item.typeOf', { n })}
                      name={`dataItems.${index}.type`}
                      value={row.type}
                      errors={at('type')}
                      onChange={(e) => update(index, { type: e.target.value as DataItemRow['type'] })}
                      options={ITEM_TYPES.map((v) => ({ value: v, label: t(`catalog.itemType.${v}`) }))}
                    />
                  </td>
                  <td>
                    <label className="checkbox">
                      <input
                        type="checkbox"
                        name={`dataItems.${index}.sensitive`}
                        checked={row.sensitive}
                        aria-invalid={at('sensitive') ? true : undefined}
                        onChange={(e) => update(index, { sensitive: e.target.checked })}
                      />
                      {t('catalog.item.sensitiveOf', { n })}
                    </label>
                    {at('sensitive') && <p className="field-error">{at('sensitive')!.join('; ')}</p>}
                  </td>
                  <td className="row-actions">
                    <button type="button" onClick={() => move(index, -1)} disabled={index === 0} aria-label={t('catalog.item.up', { n })}>
                      ↑
                    </button>
                    <button type="button" onClick={() => move(index, 1)} disabled={index === rows.length - 1} aria-label={t('catalog.item.down', { n })}>
                      ↓
                    </button>
                    <button type="button" onClick={() => onChange(rows.filter((_, i) => i !== index))} aria-label={t('catalog.item.remove', { n })}>
                      {t('catalog.item.removeShort')}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <button type="button" onClick={() => onChange([...rows, newItemRow()])}>
        {t('catalog.item.add')}
      </button>
    </fieldset>
  );
}
