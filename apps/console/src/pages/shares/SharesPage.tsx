import { useCallback, useState } from 'react';
import type { Schemas } from '../../api/client';
import { Link } from '../../app/router';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { DataTable, Pager } from '../../ui/DataTable';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { TextField } from '../../ui/Field';
import { PageHeader } from '../../ui/PageHeader';
import { usePaged } from '../../ui/use-paged';
import { ReasonDialog } from '../returns/ReasonDialog';
import '../returns/returns.css';

type Share = Schemas['ShareViewDto'];
type Decision = { kind: 'approve' | 'reject' | 'revoke' | 'withdraw'; share: Share };

/** Article 10: share requests made here and those for this node's entries, their deadlines and grants. */
export function SharesPage() {
  const { t, dateTime } = useI18n();
  const { api, can } = useSession();
  const [decision, setDecision] = useState<Decision | undefined>();
  const outgoing = usePaged(
    useCallback(
      (cursor: string | undefined, signal: AbortSignal) => api.call('GET /api/v1/shares', { query: { direction: 'outgoing', cursor, limit: 20 }, signal }),
      [api],
    ),
  );
  const incoming = usePaged(
    useCallback(
      (cursor: string | undefined, signal: AbortSignal) => api.call('GET /api/v1/shares', { query: { direction: 'incoming', cursor, limit: 20 }, signal }),
      [api],
    ),
  );

  const common = [
    { header: t('shares.col.entry'), cell: (s: Share) => <Link to={`/shares/${s.id}`}>{s.entry.name}</Link> },
    { header: t('shares.col.state'), cell: (s: Share) => <ShareState share={s} /> },
    {
      header: t('shares.col.deadline'),
      cell: (s: Share) =>
        s.deadline ? (
          <>
            {dateTime(s.deadline)}
            {s.overdue && <span className="overdue"> {t('shares.overdue')}</span>}
          </>
        ) : (
          '—'
        ),
    },
    { header: t('shares.col.expires'), cell: (s: Share) => dateTime(s.expiresAt) },
  ];

  const actions = (s: Share) => {
    const open = s.state === 'requested' || s.state === 'approved';
    const buttons: { kind: Decision['kind']; className?: string }[] = [];
    if (s.side === 'provider' && can('shares:decide')) {
      if (open) buttons.push({ kind: 'approve', className: 'primary' }, { kind: 'reject' });
      if (s.state === 'granted') buttons.push({ kind: 'revoke', className: 'danger' });
    }
    if (s.side === 'consumer' && can('shares:request') && (open || s.state === 'granted')) buttons.push({ kind: 'withdraw' });
    return (
      <span className="row-actions">
        {buttons.map((b) => (
          <button key={b.kind} type="button" className={b.className} onClick={() => setDecision({ kind: b.kind, share: s })}>
            {t(`shares.${b.kind}`)}
          </button>
        ))}
      </span>
    );
  };

  const reload = () => {
    outgoing.reload();
    incoming.reload();
  };
  return (
    <>
      <PageHeader title={t('shares.title')} />
      <p className="intro">{t('shares.intro')}</p>
      <section aria-labelledby="shares-outgoing">
        <h2 id="shares-outgoing">{t('shares.outgoing')}</h2>
        <ErrorBanner errors={outgoing.error} />
        <DataTable
          caption={t('shares.outgoing')}
          rows={outgoing.rows}
          rowKey={(s) => s.id}
          busy={outgoing.busy}
          columns={[
            ...common.slice(0, 1),
            { header: t('shares.col.provider'), cell: (s: Share) => s.provider },
            ...common.slice(1),
            { header: t('common.actions'), cell: actions },
          ]}
        />
        <Pager page={outgoing.page} hasPrevious={outgoing.hasPrevious} hasNext={outgoing.hasNext} onPrevious={outgoing.previous} onNext={outgoing.next} />
      </section>
      <section aria-labelledby="shares-incoming">
        <h2 id="shares-incoming">{t('shares.incoming')}</h2>
        <ErrorBanner errors={incoming.error} />
        <DataTable
          caption={t('shares.incoming')}
          rows={incoming.rows}
          rowKey={(s) => s.id}
          busy={incoming.busy}
          columns={[
            ...common.slice(0, 1),
            { header: t('shares.col.consumer'), cell: (s: Share) => s.consumer },
            { header: t('shares.col.purpose'), cell: (s: Share) => s.purpose },
            ...common.slice(1),
            { header: t('common.actions'), cell: actions },
          ]}
        />
        <Pager page={incoming.page} hasPrevious={incoming.hasPrevious} hasNext={incoming.hasNext} onPrevious={incoming.previous} onNext={incoming.next} />
      </section>
      {decision && <ShareDecisionDialog decision={decision} onDone={() => (setDecision(undefined), reload())} onCancel={() => setDecision(undefined)} />}
    </>
  );
}

export function ShareState({ share }: { share: Share }) {
  const { t } = useI18n();
  return (
    <>
      {t(`shares.state.${share.state}`)}
      {share.reason && <span className="reason"> — {share.reason}</span>}
      {share.rule && <span className="reason"> ({share.rule})</span>}
    </>
  );
}

/** Every share decision carries a reason; an approval may also shorten the grant's expiry. */
export function ShareDecisionDialog({ decision, onDone, onCancel }: { decision: Decision; onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [expiresAt, setExpiresAt] = useState('');
  const { kind, share } = decision;
  const path = { id: share.id };
  const submit = (reason: string) => {
    if (kind === 'approve')
      return api.call('POST /api/v1/shares/{id}/approve', { path, body: { reason, ...(expiresAt ? { expiresAt: shanghaiToIso(expiresAt) } : {}) } });
    return api.call(`POST /api/v1/shares/{id}/${kind}`, { path, body: { reason } });
  };
  return (
    <ReasonDialog
      title={t(`shares.decide.${kind}`, { entry: share.entry.name })}
      label={t('shares.decide.reason')}
      confirmLabel={t(`shares.${kind}`)}
      required
      onSubmit={submit}
      onDone={onDone}
      onCancel={onCancel}
      extraFields={['expiresAt']}
      extra={(errors) =>
        kind === 'approve' && (
          <TextField
            label={t('shares.decide.expiresAt')}
            hint={t('shares.decide.expiresHint')}
            type="datetime-local"
            value={expiresAt}
            onChange={(e) => setExpiresAt(e.target.value)}
            errors={errors?.fields.expiresAt}
          />
        )
      }
    />
  );
}

/** A datetime-local value read in the console's time zone (Asia/Shanghai, UTC+8 all year), as every time it shows. */
export function shanghaiToIso(local: string): string {
  return new Date(`${local.length === 16 ? `${local}:00` : local}+08:00`).toISOString();
}
