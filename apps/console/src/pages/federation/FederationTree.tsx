import { useId } from 'react';
import { useI18n, type MessageKey } from '../../i18n/i18n';
import { BOX, flattenTree, layoutTree, TROUBLE_STATES, type TreeNode, type TreeState } from './federation-tree';

/** What a link's state is called (the drawing and the table say it in words, not only in colour). */
export function stateKey(state: TreeState): MessageKey {
  return `federation.state.${state}` as MessageKey;
}

function tone(state: TreeState): string {
  if (state === 'self') return 'self';
  if (state === 'down' || state === 'revoked' || state === 'rejected' || state === 'error') return 'bad';
  return TROUBLE_STATES.has(state) ? 'warn' : 'ok';
}

/** The link drawn between an upper and a lower node: it is the lower node's, except above this node (then it is the parent link). */
function linkOf(upper: TreeNode, lower: TreeNode): TreeNode {
  return lower.relation === 'self' ? upper : lower;
}

/**
 * The federation as far as this node sees it, drawn; the table below says the same for screen
 * readers and for anyone who wants the figures (the drawing is an image with a title and summary).
 */
export function FederationTree({ root }: { root: TreeNode }) {
  const { t, number, dateTime } = useI18n();
  const titleId = useId();
  const descId = useId();
  const layout = layoutTree(root);
  const rows = flattenTree(root);
  const pad = 8;
  // Room right of the last column for the label of its link (lag · backlog).
  const labelRoom = 150;
  const lagText = (node: TreeNode) => (node.lagSeconds === null ? null : t('federation.lagValue', { seconds: number(node.lagSeconds, 1) }));
  const backlogText = (node: TreeNode) => (node.backlog === null ? null : t('federation.backlogValue', { count: number(node.backlog) }));
  const summary = rows
    .map(({ node }) => t('federation.treeSummaryItem', { name: node.name, code: node.code, state: t(stateKey(node.state)) }))
    .join(t('common.listSeparator'));
  return (
    <div className="federation-tree">
      <div className="tree-drawing">
        <svg
          role="img"
          aria-labelledby={`${titleId} ${descId}`}
          viewBox={`${-pad} ${-pad} ${layout.width + 2 * pad + labelRoom} ${layout.height + 2 * pad}`}
          width={layout.width + 2 * pad + labelRoom}
          height={layout.height + 2 * pad}
        >
          <title id={titleId}>{t('federation.treeTitle')}</title>
          <desc id={descId}>{summary}</desc>
          {layout.links.map(({ from, to }) => {
            const link = linkOf(from.node, to.node);
            const x1 = from.x + BOX.width / 2;
            const y1 = from.y + BOX.height;
            const x2 = to.x + BOX.width / 2;
            const y2 = to.y;
            const label = [lagText(link), backlogText(link)].filter(Boolean).join(' · ');
            return (
              <g key={`${from.node.code}-${to.node.code}`} className={`tree-link link-${link.state}`} data-state={link.state}>
                <line x1={x1} y1={y1} x2={x2} y2={y2} />
                {label && (
                  <text x={(x1 + x2) / 2 + 6} y={(y1 + y2) / 2 + 4} className="link-label">
                    {label}
                  </text>
                )}
              </g>
            );
          })}
          {layout.nodes.map(({ node, x, y }) => (
            <g
              key={node.code}
              className={`tree-node tone-${tone(node.state)} relation-${node.relation}`}
              data-code={node.code}
              transform={`translate(${x} ${y})`}
            >
              <rect width={BOX.width} height={BOX.height} rx={6} />
              <text x={10} y={20} className="node-name">
                {node.name}
              </text>
              <text x={10} y={38} className="node-code">
                {node.code}
                {node.level ? ` · ${t(`level.${node.level}`)}` : ''}
              </text>
              <text x={10} y={56} className="node-state">
                {t(stateKey(node.state))}
              </text>
            </g>
          ))}
        </svg>
      </div>
      <div className="table-wrap">
        <table>
          <caption>{t('federation.treeTableCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('federation.col.node')}</th>
              <th scope="col">{t('federation.col.relation')}</th>
              <th scope="col">{t('federation.col.state')}</th>
              <th scope="col" className="numeric">
                {t('federation.col.lag')}
              </th>
              <th scope="col" className="numeric">
                {t('federation.col.backlog')}
              </th>
              <th scope="col" className="numeric">
                {t('federation.col.queued')}
              </th>
              <th scope="col">{t('federation.col.lastSeen')}</th>
              <th scope="col">{t('federation.col.lastError')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ node, depth, parent }) => (
              <tr key={node.code} data-code={node.code}>
                <th scope="row" className={`depth-${Math.min(depth, 4)}`}>
                  {node.name} <span className="mono">{node.code}</span>
                  {parent && <span className="visually-hidden"> {t('federation.under', { name: parent.name })}</span>}
                </th>
                <td>{t(`federation.relation.${node.relation}`)}</td>
                <td>
                  <span className={`state-badge tone-${tone(node.state)}`}>{t(stateKey(node.state))}</span>
                </td>
                <td className="numeric">{node.lagSeconds === null ? '—' : lagText(node)}</td>
                <td className="numeric">{node.backlog === null ? '—' : number(node.backlog)}</td>
                <td className="numeric">{node.queued === null ? '—' : number(node.queued)}</td>
                <td>{dateTime(node.lastSeenAt)}</td>
                <td>{node.lastError ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
