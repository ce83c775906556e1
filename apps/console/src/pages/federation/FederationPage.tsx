import { useCallback, useState } from 'react';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { DataTable } from '../../ui/DataTable';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { PageHeader } from '../../ui/PageHeader';
import { DecisionDialog, type DecisionTarget } from './DecisionDialog';
import { buildFederationTree, flattenTree, type FederationStatus } from './federation-tree';
import { FederationTree, stateKey } from './FederationTree';
import { TrustListPanel } from './TrustListPanel';
import { usePolling } from './use-polling';
import './federation.css';

/** How often the page asks again while it is open: link health changes within a heartbeat or two. */
export const REFRESH_MS = 10_000;

type PendingJoin = FederationStatus['pendingJoins'][number];

/** The federation seen from this node: the tree with each link's state, the trust list, and the joins waiting. */
export function FederationPage() {
  const { t, dateTime, number } = useI18n();
  const { api, can } = useSession();
  const administer = can('federation:administer');
  const [deciding, setDeciding] = useState<DecisionTarget | undefined>();

  const load = useCallback(
    async (signal: AbortSignal) => {
      const [info, status, nodes, trust] = await Promise.all([
        api.call('GET /api/v1/node', { signal }),
        api.call('GET /api/v1/federation/status', { signal }),
        api.call('GET /api/v1/federation/nodes', { signal }),
        api.call('GET /api/v1/federation/trust-list', { signal }),
      ]);
      return { info, status, nodes: nodes.items, trust };
    },
    [api],
  );
  const { data, error, loadedAt, reload } = usePolling(load, REFRESH_MS);

  const tree = data && buildFederationTree(data.info, data.status, data.nodes);
  const here = data?.info.code;
  const decidable = (join: PendingJoin) => administer && join.waitsAt === here;
  const revocable = tree
    ? flattenTree(tree).filter(({ node }) => node.relation === 'child' && node.state !== 'revoked' && node.state !== 'pending-approval')
    : [];

  return (
    <>
      <PageHeader
        title={t('federation.title')}
        actions={
          <button type="button" onClick={reload}>
            {t('federation.refresh')}
          </button>
        }
      />
      <p className="hint" aria-live="polite">
        {loadedAt ? t('federation.updatedAt', { time: dateTime(loadedAt.toISOString()), seconds: REFRESH_MS / 1000 }) : t('app.loading')}
      </p>
      <ErrorBanner errors={error} />
      {data && tree && (
        <>
          <section className="panel" aria-labelledby="federation-tree-title">
            <h2 id="federation-tree-title">{t('federation.treeHeading')}</h2>
            <FederationTree root={tree} />
          </section>
          <div className="federation-columns">
            <TrustListPanel trust={data.trust} parked={data.status.protocol?.parked ?? null} />
            <section className="panel" aria-labelledby="pending-joins-title">
              <h2 id="pending-joins-title">{t('federation.pendingTitle')}</h2>
              <DataTable
                caption={t('federation.pendingTitle')}
                rowKey={(j) => `${j.code}-${j.fingerprint}`}
                rows={data.status.pendingJoins}
                columns={[
                  { header: t('federation.col.node'), cell: (j) => `${j.name} (${j.code})` },
                  { header: t('federation.col.fingerprint'), cell: (j) => <span className="mono">{j.fingerprint}</span> },
                  { header: t('federation.col.waitsAt'), cell: (j) => (j.waitsAt === here ? t('federation.waitsHere') : j.waitsAt) },
                  { header: t('federation.col.lastSeen'), cell: (j) => dateTime(j.lastSeen) },
                  { header: t('federation.col.attempts'), numeric: true, cell: (j) => number(j.attempts) },
                  ...(administer
                    ? [
                        {
                          header: t('common.actions'),
                          cell: (j: PendingJoin) =>
                            decidable(j) ? (
                              <span className="row-actions">
                                <button
                                  type="button"
                                  className="primary"
                                  aria-label={t('federation.approveNode', { name: j.name })}
                                  onClick={() =>
                                    setDeciding({ decision: 'approve', code: j.code, name: j.name, publicKey: j.publicKey, fingerprint: j.fingerprint })
                                  }
                                >
                                  {t('federation.approve')}
                                </button>
                                <button
                                  type="button"
                                  className="danger"
                                  aria-label={t('federation.rejectNode', { name: j.name })}
                                  onClick={() =>
                                    setDeciding({ decision: 'reject', code: j.code, name: j.name, publicKey: j.publicKey, fingerprint: j.fingerprint })
                                  }
                                >
                                  {t('federation.reject')}
                                </button>
                              </span>
                            ) : (
                              t('federation.decidedElsewhere', { code: j.waitsAt })
                            ),
                        },
                      ]
                    : []),
                ]}
              />
            </section>
          </div>
          {administer && revocable.length > 0 && (
            <section className="panel" aria-labelledby="children-admin-title">
              <h2 id="children-admin-title">{t('federation.childrenTitle')}</h2>
              <DataTable
                caption={t('federation.childrenTitle')}
                rowKey={({ node }) => node.code}
                rows={revocable}
                columns={[
                  { header: t('federation.col.node'), cell: ({ node }) => `${node.name} (${node.code})` },
                  { header: t('federation.col.state'), cell: ({ node }) => t(stateKey(node.state)) },
                  {
                    header: t('common.actions'),
                    cell: ({ node }) => (
                      <button
                        type="button"
                        className="danger"
                        aria-label={t('federation.revokeNode', { name: node.name })}
                        onClick={() => setDeciding({ decision: 'revoke', code: node.code, name: node.name })}
                      >
                        {t('federation.revoke')}
                      </button>
                    ),
                  },
                ]}
              />
            </section>
          )}
        </>
      )}
      {deciding && (
        <DecisionDialog
          target={deciding}
          onCancel={() => setDeciding(undefined)}
          onDone={() => {
            setDeciding(undefined);
            reload();
          }}
        />
      )}
    </>
  );
}
