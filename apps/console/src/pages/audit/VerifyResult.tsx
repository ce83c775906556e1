import type { Schemas } from '../../api/client';
import { useI18n, type MessageKey } from '../../i18n/i18n';

export type AuditVerification = Schemas['AuditVerificationViewDto'];

/** The chain's verdict: intact up to its last record, or the first record that breaks it, named. */
export function VerifyResult({ result }: { result: AuditVerification }) {
  const { t, number } = useI18n();
  if (result.ok)
    return (
      <div className="verify-result verify-ok" role="status">
        <strong>{t('audit.verify.intact')}</strong>{' '}
        {t('audit.verify.intactDetail', {
          records: number(result.records),
          last: result.last ? `#${result.last.seq}` : '—',
        })}
        <p className="mono">{t('audit.verify.head', { seq: result.head.seq, hash: result.head.hash })}</p>
      </div>
    );
  const bad = result.firstBad;
  return (
    <div className="verify-result verify-bad" role="alert">
      <strong>{t('audit.verify.broken')}</strong>{' '}
      {bad
        ? t('audit.verify.firstBad', { seq: bad.seq, kind: t(`audit.break.${bad.kind}` as MessageKey), reason: bad.reason })
        : t('audit.verify.brokenUnknown')}
      <p>{t('audit.verify.checked', { records: number(result.records) })}</p>
    </div>
  );
}
