import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../../i18n/i18n';
import type { Locale } from '../../i18n/define';
import { buildFederationTree, layoutTree, type FederationNode, type FederationStatus, type NodeInfo } from './federation-tree';
import { FederationTree } from './FederationTree';

const NOW = '2026-12-06T06:00:00.000Z';

function childLink(
  code: string,
  name: string,
  health: FederationStatus['children'][number]['health'],
  lag: number | null,
  backlog: number | null,
): FederationStatus['children'][number] {
  return {
    code,
    name,
    level: 'city',
    status: health === 'pending-approval' ? 'pending' : 'approved',
    health,
    lastSeenAt: NOW,
    secondsSinceSeen: 3,
    lastHeartbeatAt: NOW,
    heartbeatIntervalSeconds: 10,
    reportedOutboxBacklog: backlog,
    joinedAt: NOW,
    lastStreamSeq: 12,
    lastOrigin: code,
    lastOriginSeq: 12,
    lastAppliedAt: NOW,
    lastLagSeconds: lag,
    applied: 12,
    skipped: 0,
    rejected: 0,
    pending: 0,
    lastError: null,
    lastErrorAt: null,
  };
}

function known(code: string, name: string, level: FederationNode['level'], parentCode: string, via: string, status: FederationNode['status']): FederationNode {
  return {
    code,
    name,
    level,
    parentCode,
    via,
    publicKey: 'k'.repeat(43),
    fingerprint: 'ab:cd',
    previousPublicKey: null,
    status,
    joinedAt: NOW,
    decidedAt: NOW,
    decidedBy: 'user:admin',
    reason: null,
  };
}

function status(over: Partial<FederationStatus>): FederationStatus {
  return {
    node: '330000',
    protocol: { version: 1, oldestSupported: 1, parked: 0, oldestParkedAt: null },
    heartbeat: { intervalSeconds: 10, staleAfterIntervals: 3, downAfterIntervals: 12 },
    parent: null,
    children: [],
    pendingJoins: [],
    trustList: { state: 'valid', issuer: '330000', version: 3, issuedAt: NOW, expiresAt: NOW, expiresInSeconds: 86400, alarm: false, nodes: 3 },
    ...over,
  } as FederationStatus;
}

const province: NodeInfo = { code: '330000', name: '浙江省', level: 'province', publicKey: 'p', parent: null, children: [] };

/** The province with a healthy city (lag 1.5 s, backlog 4), a stale second city, and a county known through the first city. */
function provinceTree() {
  return buildFederationTree(
    province,
    status({ children: [childLink('330100', '杭州市', 'healthy', 1.5, 4), childLink('330200', '宁波市', 'stale', null, 120)] }),
    [
      known('330100', '杭州市', 'city', '330000', '330100', 'approved'),
      known('330200', '宁波市', 'city', '330000', '330200', 'approved'),
      known('330106', '西湖区', 'county', '330100', '330100', 'approved'),
      known('330212', '鄞州区', 'county', '330200', '330200', 'pending'),
    ],
  );
}

function renderTree(locale: Locale, root = provinceTree()) {
  return render(
    <I18nProvider locale={locale}>
      <FederationTree root={root} />
    </I18nProvider>,
  );
}

describe('buildFederationTree', () => {
  it('puts the children under this node and the nodes known through them under each child', () => {
    const root = provinceTree();
    expect(root.code).toBe('330000');
    expect(root.children.map((c) => [c.code, c.state])).toEqual([
      ['330100', 'healthy'],
      ['330200', 'stale'],
    ]);
    expect(root.children[0].children.map((c) => [c.code, c.relation, c.state])).toEqual([['330106', 'descendant', 'approved']]);
    expect(root.children[1].children.map((c) => [c.code, c.state])).toEqual([['330212', 'pending']]);
  });

  it('draws the parent above this node at a county, with the upward backlog', () => {
    const county: NodeInfo = {
      code: '330106',
      name: '西湖区',
      level: 'county',
      publicKey: 'c',
      parent: { code: '330100', name: '杭州市', link: null },
      children: [],
    };
    const root = buildFederationTree(
      county,
      status({
        node: '330106',
        parent: {
          code: '330100',
          name: '杭州市',
          joined: true,
          joinedAt: NOW,
          outboxBacklog: 7,
          oldestQueuedAt: NOW,
          lastPublishedSeq: 3,
          lastPublishedAt: NOW,
          published: 3,
          lastError: null,
          lastErrorAt: null,
        },
      }),
      [],
    );
    expect([root.code, root.relation, root.state, root.backlog]).toEqual(['330100', 'parent', 'joined', 7]);
    expect(root.children.map((c) => [c.code, c.relation])).toEqual([['330106', 'self']]);
  });

  it('lays out one row a tier with each parent centred over its children', () => {
    const layout = layoutTree(provinceTree());
    const at = (code: string) => layout.nodes.find((n) => n.node.code === code)!;
    expect(at('330000').y).toBeLessThan(at('330100').y);
    expect(at('330100').y).toBeLessThan(at('330106').y);
    expect(at('330000').x).toBe((at('330100').x + at('330200').x) / 2);
    expect(layout.links).toHaveLength(4);
  });
});

describe('FederationTree', () => {
  it('draws each node with its state in words and each link with its lag and backlog (en)', () => {
    const { container } = renderTree('en');
    const drawing = screen.getByRole('img', { name: /This node, its parent and its children/ });
    for (const code of ['330000', '330100', '330200', '330106', '330212']) expect(drawing.querySelector(`[data-code="${code}"]`)).not.toBeNull();
    const city = drawing.querySelector('[data-code="330100"]')!;
    expect(city.textContent).toContain('杭州市');
    expect(city.textContent).toContain('Healthy');
    expect(drawing.querySelector('[data-code="330200"]')!.textContent).toContain('Stale');
    expect(drawing.querySelector('[data-code="330212"]')!.textContent).toContain('Pending');
    const links = [...container.querySelectorAll('g.tree-link')].map((g) => [g.getAttribute('data-state'), g.textContent]);
    expect(links).toContainEqual(['healthy', 'lag 1.5 s · backlog 4']);
    expect(links).toContainEqual(['stale', 'backlog 120']);
    // The summary read out for the image names every node and its state.
    expect(drawing.querySelector('desc')!.textContent).toContain('西湖区 (330106): Approved');
  });

  it('says the same in a table, one row a node (zh-CN)', () => {
    renderTree('zh-CN');
    const table = screen.getByRole('table', { name: '节点与连接状态（与上图内容相同）' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-code'))).toEqual(['330000', '330100', '330106', '330200', '330212']);
    const county = rows[2];
    expect(county.textContent).toContain('经下级接入的节点');
    expect(county.textContent).toContain('已接入');
    expect(county.textContent).toContain('上级：杭州市');
    expect(rows[3].textContent).toContain('心跳迟滞');
    expect(within(rows[1]).getAllByRole('cell')[2].textContent).toBe('延迟 1.5 秒');
  });
});
