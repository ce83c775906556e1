import type { Schemas } from '../../api/client';

export type FederationStatus = Schemas['FederationStatusViewDto'];
export type FederationNode = Schemas['FederationNodeViewDto'];
export type NodeInfo = Schemas['NodeInfoViewDto'];
type Level = NodeInfo['level'];

/**
 * The state shown for a node of the tree. A child's link has a health this node measures (healthy,
 * stale, down, pending-approval, revoked); the parent link is joined or not (or failing); nodes
 * further down are known only by their standing in this node's list (approved, pending, ...).
 */
export type TreeState = Schemas['ChildLinkViewDto']['health'] | FederationNode['status'] | 'self' | 'joined' | 'not-joined' | 'error';

export type Relation = 'parent' | 'self' | 'child' | 'descendant';

export interface TreeNode {
  code: string;
  name: string;
  level: Level | null;
  relation: Relation;
  state: TreeState;
  /** Seconds from the origin's commit to its apply here (children's links only). */
  lagSeconds: number | null;
  /** Records waiting to cross the link: the child's outbox as it reported it, or this node's outbox upward. */
  backlog: number | null;
  /** Records waiting in this node's stream for the link (children only). */
  queued: number | null;
  lastSeenAt: string | null;
  lastError: string | null;
  /** The node through which a descendant is known (the direct child it joined through). */
  via: string | null;
  children: TreeNode[];
}

/** States that mean trouble, drawn (and worded) apart from the healthy ones. */
export const TROUBLE_STATES: ReadonlySet<TreeState> = new Set<TreeState>([
  'stale',
  'down',
  'revoked',
  'rejected',
  'error',
  'not-joined',
  'pending-approval',
  'pending',
]);

function levelBelow(level: Level | null): Level | null {
  return level === 'province' ? 'city' : level === 'city' ? 'county' : null;
}

/**
 * The tree as far as this node can tell: its parent above it, its children (with the health of each
 * link) below, and below them the nodes this node knows joined through them (from the node list).
 * Returns the topmost node (the parent when there is one).
 */
export function buildFederationTree(info: NodeInfo, status: FederationStatus, nodes: FederationNode[]): TreeNode {
  const known = new Map(nodes.map((n) => [n.code, n]));
  const self: TreeNode = {
    code: info.code,
    name: info.name,
    level: info.level,
    relation: 'self',
    state: 'self',
    lagSeconds: null,
    backlog: null,
    queued: null,
    lastSeenAt: null,
    lastError: null,
    via: null,
    children: [],
  };
  const placed = new Set<string>([info.code]);

  // Nodes below a child: those whose parent is a node already in the tree (one pass per tier).
  const descendantsOf = (parent: TreeNode): TreeNode[] => {
    const below = nodes.filter((n) => n.parentCode === parent.code && !placed.has(n.code)).sort((a, b) => a.code.localeCompare(b.code));
    return below.map((n) => {
      placed.add(n.code);
      const node: TreeNode = {
        code: n.code,
        name: n.name,
        level: n.level,
        relation: 'descendant',
        state: n.status,
        lagSeconds: null,
        backlog: null,
        queued: null,
        lastSeenAt: n.lastSeen ?? n.joinedAt ?? null,
        lastError: null,
        via: n.via,
        children: [],
      };
      node.children = descendantsOf(node);
      return node;
    });
  };

  for (const link of [...status.children].sort((a, b) => a.code.localeCompare(b.code))) {
    placed.add(link.code);
    const child: TreeNode = {
      code: link.code,
      name: link.name,
      level: link.level ?? known.get(link.code)?.level ?? levelBelow(info.level),
      relation: 'child',
      state: link.health,
      lagSeconds: link.lastLagSeconds,
      backlog: link.reportedOutboxBacklog,
      queued: link.pending,
      lastSeenAt: link.lastSeenAt,
      lastError: link.lastError,
      via: null,
      children: [],
    };
    self.children.push(child);
  }
  for (const child of self.children) child.children = descendantsOf(child);

  const parentLink = status.parent;
  const parentInfo = info.parent;
  if (!parentInfo && !parentLink) return self;
  const parent: TreeNode = {
    code: parentInfo?.code ?? parentLink!.code,
    name: parentInfo?.name ?? parentLink?.name ?? parentInfo?.code ?? parentLink!.code,
    level: info.level === 'county' ? 'city' : info.level === 'city' ? 'province' : null,
    relation: 'parent',
    state: !parentLink ? 'not-joined' : parentLink.lastError ? 'error' : parentLink.joined ? 'joined' : 'not-joined',
    lagSeconds: null,
    backlog: parentLink?.outboxBacklog ?? null,
    queued: null,
    lastSeenAt: parentLink?.lastPublishedAt ?? null,
    lastError: parentLink?.lastError ?? null,
    via: null,
    children: [self],
  };
  return parent;
}

/** Every node of the tree, top-down, with its depth (for the table that says what the drawing shows). */
export function flattenTree(root: TreeNode, depth = 0): { node: TreeNode; depth: number; parent: TreeNode | null }[] {
  const out: { node: TreeNode; depth: number; parent: TreeNode | null }[] = [{ node: root, depth, parent: null }];
  const walk = (node: TreeNode, d: number) => {
    for (const child of node.children) {
      out.push({ node: child, depth: d + 1, parent: node });
      walk(child, d + 1);
    }
  };
  walk(root, depth);
  return out;
}

export interface PlacedNode {
  node: TreeNode;
  x: number;
  y: number;
}

export interface TreeLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  links: { from: PlacedNode; to: PlacedNode }[];
}

export const BOX = { width: 168, height: 64, gapX: 24, gapY: 72 } as const;

/** A tidy layout: leaves side by side in order, each parent centred over its children, one row a tier. */
export function layoutTree(root: TreeNode): TreeLayout {
  const nodes: PlacedNode[] = [];
  const links: TreeLayout['links'] = [];
  let nextLeaf = 0;
  let depthMax = 0;
  const place = (node: TreeNode, depth: number): PlacedNode => {
    depthMax = Math.max(depthMax, depth);
    const y = depth * (BOX.height + BOX.gapY);
    let placed: PlacedNode;
    if (node.children.length === 0) {
      placed = { node, x: nextLeaf++ * (BOX.width + BOX.gapX), y };
      nodes.push(placed);
    } else {
      const below = node.children.map((child) => place(child, depth + 1));
      const x = (below[0].x + below[below.length - 1].x) / 2;
      placed = { node, x, y };
      nodes.push(placed);
      below.forEach((to) => links.push({ from: placed, to }));
    }
    return placed;
  };
  place(root, 0);
  return {
    width: Math.max(1, nextLeaf) * (BOX.width + BOX.gapX) - BOX.gapX,
    height: (depthMax + 1) * (BOX.height + BOX.gapY) - BOX.gapY,
    nodes,
    links,
  };
}
