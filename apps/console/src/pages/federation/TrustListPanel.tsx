import type { Schemas } from '../../api/client';
import { useI18n, type MessageKey } from '../../i18n/i18n';

type TrustList = Schemas['TrustListViewDto'];

/** The trust list this node holds: its state, version and expiry (an alarm when near expiry or absent). */
export function TrustListPanel({ trust, parked }: { trust: TrustList; parked: number | null }) {
  const { t, dateTime, number } = useI18n();
  const hours = trust.expiresInSeconds === null ? null : trust.expiresInSeconds / 3600;
  return (
    <section className="panel" aria-labelledby="trust-list-title">
      <h2 id="trust-list-title">{t('federation.trustTitle')}</h2>
      {trust.alarm && (
        <p className="alarm" role="alert">
          {t('federation.trustAlarm')}
        </p>
      )}
      <dl className="facts">
        <dt>{t('federation.trustState')}</dt>
        <dd>
          <span className={`state-badge tone-${trust.state === 'valid' && !trust.alarm ? 'ok' : 'bad'}`}>
            {t(`federation.trust.${trust.state}` as MessageKey)}
          </span>
        </dd>
        <dt>{t('federation.trustIssuer')}</dt>
        <dd>{trust.issuer}</dd>
        <dt>{t('federation.trustVersion')}</dt>
        <dd>{trust.version ?? '—'}</dd>
        <dt>{t('federation.trustIssuedAt')}</dt>
        <dd>{dateTime(trust.issuedAt)}</dd>
        <dt>{t('federation.trustExpiresAt')}</dt>
        <dd>
          {dateTime(trust.expiresAt)}
          {hours !== null && ` (${t('federation.trustExpiresIn', { hours: number(hours, 1) })})`}
        </dd>
        <dt>{t('federation.trustNodes')}</dt>
        <dd>{number(trust.nodes.length)}</dd>
        {parked !== null && (
          <>
            <dt>{t('federation.parked')}</dt>
            <dd>{number(parked)}</dd>
          </>
        )}
      </dl>
    </section>
  );
}
