import { useI18n } from '../../i18n/i18n';

/** Active or retired, in words (the colour only repeats them). */
export function StatusBadge({ status }: { status: 'active' | 'retired' }) {
  const { t } = useI18n();
  return <span className={`badge ${status === 'active' ? 'ok' : 'bad'}`}>{t(`catalog.status.${status}`)}</span>;
}
