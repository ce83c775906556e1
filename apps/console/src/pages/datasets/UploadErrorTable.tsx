import type { Schemas } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { DataTable } from '../../ui/DataTable';

export type UploadRefusal = Schemas['UploadRefusalViewDto'];

/** The lines the node refused, with why; `truncated`: it stopped reading at its cap, the file may hold more. */
export function UploadErrorTable({ refusal }: { refusal: UploadRefusal }) {
  const { t, number } = useI18n();
  return (
    <section className="upload-errors" aria-labelledby="upload-errors-title">
      <h2 id="upload-errors-title">{t('datasets.errorsTitle', { count: number(refusal.errors.length) })}</h2>
      <p>{refusal.message}</p>
      {refusal.truncated && (
        <p className="notice warn" role="note">
          {t('datasets.truncated')}
        </p>
      )}
      <DataTable
        caption={t('datasets.errorsCaption')}
        rows={refusal.errors.map((e, i) => ({ ...e, key: `${e.line}-${i}` }))}
        rowKey={(e) => e.key}
        columns={[
          { header: t('datasets.line'), cell: (e) => number(e.line), numeric: true },
          { header: t('datasets.error'), cell: (e) => e.message },
        ]}
      />
    </section>
  );
}

/** The refusal body of an upload, when the API's answer is one (a 400 with errors by line). */
export function uploadRefusalOf(view: unknown): UploadRefusal | undefined {
  const body = view as Partial<UploadRefusal> | undefined;
  return body && Array.isArray(body.errors) ? (body as UploadRefusal) : undefined;
}
