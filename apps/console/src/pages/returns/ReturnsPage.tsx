import { useCallback, useState } from 'react';
import type { Schemas } from '../../api/client';
import { Link } from '../../app/router';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { DataTable, Pager } from '../../ui/DataTable';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { PageHeader } from '../../ui/PageHeader';
import { usePaged } from '../../ui/use-paged';
import { ReasonDialog } from './ReasonDialog';
import { ReturnRequestForm } from './ReturnRequestForm';
import { returnStateKey } from './state-label';
import './returns.css';

type Request = Schemas['ReturnRequestViewDto'];
type Decision = { kind: 'approve' | 'reject' | 'withdraw' | 'revoke'; request: Request };

/** Article 9: the returns this node asked for, those asked of it, and (at a city) its counties'. */
export function ReturnsPage() {
  const { t, dateTime } = useI18n();
  const { api, can, node } = useSession();
  const [requesting, setRequesting] = useState(false);
  const [decision, setDecision] = useState<Decision | undefined>();
  const outgoing = usePaged(
    useCallback(
      (cursor: string | undefined, signal: AbortSignal) =>
        api.call('GET /api/v1/returns/requests', { query: { direction: 'outgoing', cursor, limit: 20 }, signal }),
      [api],
    ),
  );
  const incoming = usePaged(
    useCallback(
      (cursor: string | undefined, signal: AbortSignal) =>
        api.call('GET /api/v1/returns/requests', { query: { direction: 'incoming', cursor, limit: 20 }, signal }),
      [api],
    ),
  );
  const reload = () => {
    outgoing.reload();
    incoming.reload();
  };

  const stateCell = (r: { state: string; reason: string | null }) => (
    <>
      {t(returnStateKey(r.state))}
      {r.reason && <span className="reason"> — {r.reason}</span>}
    </>
  );
  const entryCell = (r: Request) => <Link to={`/returns/${r.id}`}>{r.entry.name}</Link>;

  return (
    <>
      <PageHeader
        title={t('returns.title')}
        actions={
          can('returns:request') &&
          !requesting && (
            <button type="button" className="primary" onClick={() => setRequesting(true)}>
              {t('returns.request')}
            </button>
          )
        }
      />
      <p className="intro">{t('returns.intro')}</p>
      {requesting && (
        <ReturnRequestForm
          onCancel={() => setRequesting(false)}
          onCreated={() => {
            setRequesting(false);
            reload();
          }}
        />
      )}
      <section aria-labelledby="returns-outgoing">
        <h2 id="returns-outgoing">{t('returns.outgoing')}</h2>
        <ErrorBanner errors={outgoing.error} />
        <DataTable
          caption={t('returns.outgoing')}
          rows={outgoing.rows}
          rowKey={(r) => r.id}
          busy={outgoing.busy}
          columns={[
            { header: t('returns.col.entry'), cell: entryCell },
            { header: t('returns.col.holder'), cell: (r) => r.holder },
            { header: t('returns.col.scope'), cell: (r) => t(`returns.scope.${r.scope}`) },
            { header: t('returns.col.state'), cell: stateCell },
            { header: t('returns.col.created'), cell: (r) => dateTime(r.createdAt) },
            {
              header: t('common.actions'),
              cell: (r) =>
                can('returns:request') &&
                (r.state === 'pending' || r.state === 'granted') && (
                  <button type="button" onClick={() => setDecision({ kind: 'withdraw', request: r })}>
                    {t('returns.withdraw')}
                  </button>
                ),
            },
          ]}
        />
        <Pager page={outgoing.page} hasPrevious={outgoing.hasPrevious} hasNext={outgoing.hasNext} onPrevious={outgoing.previous} onNext={outgoing.next} />
      </section>
      {node.level !== 'county' && (
        <section aria-labelledby="returns-incoming">
          <h2 id="returns-incoming">{t('returns.incoming')}</h2>
          <ErrorBanner errors={incoming.error} />
          <DataTable
            caption={t('returns.incoming')}
            rows={incoming.rows}
            rowKey={(r) => r.id}
            busy={incoming.busy}
            columns={[
              { header: t('returns.col.entry'), cell: entryCell },
              { header: t('returns.col.requester'), cell: (r) => r.requester },
              { header: t('returns.col.scope'), cell: (r) => t(`returns.scope.${r.scope}`) },
              { header: t('returns.col.purpose'), cell: (r) => r.purpose },
              { header: t('returns.col.state'), cell: stateCell },
              {
                header: t('common.actions'),
                cell: (r) =>
                  can('returns:decide') && (
                    <span className="row-actions">
                      {r.state === 'pending' && (
                        <>
                          <button type="button" className="primary" onClick={() => setDecision({ kind: 'approve', request: r })}>
                            {t('returns.approve')}
                          </button>
                          <button type="button" onClick={() => setDecision({ kind: 'reject', request: r })}>
                            {t('returns.reject')}
                          </button>
                        </>
                      )}
                      {r.state === 'granted' && (
                        <button type="button" className="danger" onClick={() => setDecision({ kind: 'revoke', request: r })}>
                          {t('returns.revoke')}
                        </button>
                      )}
                    </span>
                  ),
              },
            ]}
          />
          <Pager page={incoming.page} hasPrevious={incoming.hasPrevious} hasNext={incoming.hasNext} onPrevious={incoming.previous} onNext={incoming.next} />
        </section>
      )}
      {node.level === 'city' && <SubtreeRequests />}
      {decision && <ReturnDecisionDialog decision={decision} onDone={() => (setDecision(undefined), reload())} onCancel={() => setDecision(undefined)} />}
    </>
  );
}

/** At a city: its counties' requests to the province, read-only. */
function SubtreeRequests() {
  const { t, dateTime } = useI18n();
  const { api } = useSession();
  const paged = usePaged(
    useCallback(
      (cursor: string | undefined, signal: AbortSignal) => api.call('GET /api/v1/returns/subtree-requests', { query: { cursor, limit: 20 }, signal }),
      [api],
    ),
  );
  return (
    <section aria-labelledby="returns-subtree">
      <h2 id="returns-subtree">{t('returns.subtree')}</h2>
      <ErrorBanner errors={paged.error} />
      <DataTable
        caption={t('returns.subtree')}
        rows={paged.rows}
        rowKey={(r) => r.id}
        busy={paged.busy}
        columns={[
          { header: t('returns.col.entry'), cell: (r) => r.entry.name },
          { header: t('returns.col.requester'), cell: (r) => r.requester },
          { header: t('returns.col.holder'), cell: (r) => r.holder },
          { header: t('returns.col.state'), cell: (r) => t(returnStateKey(r.state)) },
          { header: t('returns.col.created'), cell: (r) => dateTime(r.createdAt) },
        ]}
      />
      <Pager page={paged.page} hasPrevious={paged.hasPrevious} hasNext={paged.hasNext} onPrevious={paged.previous} onNext={paged.next} />
    </section>
  );
}

/** Approve (with an optional note), reject or revoke (with a reason), withdraw (reason optional). */
export function ReturnDecisionDialog({ decision, onDone, onCancel }: { decision: Decision; onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { kind, request } = decision;
  const path = { id: request.id };
  const submit = (reason: string) => {
    if (kind === 'approve') return api.call('POST /api/v1/returns/requests/{id}/approve', { path, body: reason ? { note: reason } : {} });
    if (kind === 'reject') return api.call('POST /api/v1/returns/requests/{id}/reject', { path, body: { reason } });
    if (kind === 'revoke') return api.call('POST /api/v1/returns/requests/{id}/revoke', { path, body: { reason } });
    return api.call('POST /api/v1/returns/requests/{id}/withdraw', { path, body: reason ? { reason } : {} });
  };
  return (
    <ReasonDialog
      title={t(`returns.decide.${kind}.title`, { entry: request.entry.name, node: kind === 'withdraw' ? request.holder : request.requester })}
      label={kind === 'approve' ? t('returns.decide.note') : t('returns.decide.reason')}
      confirmLabel={t(`returns.${kind}`)}
      required={kind === 'reject' || kind === 'revoke'}
      onSubmit={submit}
      onDone={onDone}
      onCancel={onCancel}
    />
  );
}
