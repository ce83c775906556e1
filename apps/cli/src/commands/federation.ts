import type {
  FederationDigestView,
  FederationNodeListView,
  FederationNodeView,
  FederationStatusView,
  KeyRotationView,
  ParkedMessageListView,
  ParkedRereadView,
  TrustListView,
} from '@tdx/contracts';
import { check, type CommandSpec } from '../command';
import { type Context, emit, table } from '../context';

const cell = (v: string | number | null | undefined) => (v === null || v === undefined ? '-' : String(v));

async function statusCommand(ctx: Context): Promise<void> {
  const s = await ctx.client.json<FederationStatusView>('GET', '/api/v1/federation/status');
  emit(ctx, s, () => [
    `node        ${s.node}`,
    s.parent
      ? `parent      ${s.parent.code}${s.parent.name ? ` ${s.parent.name}` : ''}: ${s.parent.joined ? 'joined' : 'NOT joined'}, outbox ${s.parent.outboxBacklog}${s.parent.oldestQueuedAt ? ` (oldest ${s.parent.oldestQueuedAt})` : ''}, last published ${cell(s.parent.lastPublishedAt)}${s.parent.lastError ? `, last error: ${s.parent.lastError}` : ''}`
      : 'parent      (none: the province)',
    // Absent when the node runs a release from before protocol versions were reported.
    s.protocol
      ? `protocol    version ${s.protocol.version} (reads ${s.protocol.oldestSupported} to ${s.protocol.version}), ${s.protocol.parked} parked${s.protocol.parked > 0 ? ' (UPGRADE this node: tdx federation parked)' : ''}`
      : 'protocol    (not reported: a release from before protocol versions)',
    `trust list  ${s.trustList.state}, version ${cell(s.trustList.version)}, ${s.trustList.nodes} nodes, expires ${cell(s.trustList.expiresAt)}${s.trustList.alarm ? ' (ALARM: renew or check the province)' : ''}`,
    ...(s.children.length === 0
      ? ['children    (none)']
      : table(
          ['child', 'name', 'status', 'last applied', 'lag s', 'applied', 'rejected', 'pending', 'last error'],
          s.children.map((c) => [
            c.code,
            c.name,
            c.status,
            cell(c.lastAppliedAt),
            cell(c.lastLagSeconds),
            cell(c.applied),
            cell(c.rejected),
            cell(c.pending),
            c.lastError ?? '',
          ]),
        )),
  ]);
}

async function parkedCommand(ctx: Context): Promise<void> {
  const p = await ctx.client.json<ParkedMessageListView>('GET', '/api/v1/federation/parked');
  emit(ctx, p, () => [
    `protocol version ${p.protocol.version} (reads ${p.protocol.oldestSupported} to ${p.protocol.version}); ${p.protocol.parked} parked${p.protocol.oldestParkedAt ? `, the oldest since ${p.protocol.oldestParkedAt}` : ''}`,
    ...(p.items.length === 0
      ? []
      : table(
          ['id', 'from', 'origin', 'version', 'kind', 'parked at', 'attempts', 'reason'],
          p.items.map((m) => [m.id, m.sender, m.origin, String(m.protocolVersion), m.kind, m.parkedAt, String(m.attempts), m.reason]),
        )),
  ]);
}

async function rereadCommand(ctx: Context): Promise<void> {
  const r = await ctx.client.json<ParkedRereadView>('POST', '/api/v1/federation/parked/reread');
  emit(ctx, r, () => [`${r.released} parked records settled (applied, skipped or refused), ${r.kept} still parked`]);
}

async function digestCommand(ctx: Context): Promise<void> {
  const d = await ctx.client.json<FederationDigestView>('GET', '/api/v1/federation/digest');
  emit(ctx, d, () => [
    `catalog digests at ${d.node} (compare with the same origin at another tier: equal digests, equal catalogs)`,
    ...table(
      ['origin', 'entries', 'active', 'version sum', 'digest'],
      d.origins.map((o) => [o.origin, String(o.count), String(o.active), String(o.versionSum), o.digest]),
    ),
  ]);
}

function describeNode(n: FederationNodeView): string[] {
  return [
    `node     ${n.code}${n.name ? ` ${n.name}` : ''} (${n.level}), via ${n.via}`,
    `status   ${n.status}${n.reason ? ` (${n.reason})` : ''}${n.decidedBy ? `, by ${n.decidedBy} at ${n.decidedAt}` : ''}`,
    `key      ${n.publicKey} (fingerprint ${n.fingerprint})`,
  ];
}

async function nodesCommand(ctx: Context, status: string | undefined): Promise<void> {
  const answer = await ctx.client.json<FederationNodeListView>('GET', `/api/v1/federation/nodes${status ? `?status=${status}` : ''}`);
  emit(ctx, answer, () =>
    answer.items.length === 0
      ? [`no ${status ?? 'known'} nodes`]
      : table(
          ['code', 'name', 'level', 'via', 'status', 'fingerprint', 'since', 'reason'],
          answer.items.map((n) => [n.code, n.name ?? '', n.level, n.via, n.status, n.fingerprint, cell(n.decidedAt ?? n.joinedAt), n.reason ?? '']),
        ),
  );
}

async function decideCommand(ctx: Context, code: string, decision: 'approve' | 'reject' | 'revoke', o: Record<string, string | undefined>): Promise<void> {
  const body = { ...(o.reason !== undefined ? { reason: o.reason } : {}), ...(o.key !== undefined ? { publicKey: o.key } : {}) };
  const node = await ctx.client.json<FederationNodeView>('POST', `/api/v1/federation/nodes/${code}/${decision}`, body);
  emit(ctx, node, () => describeNode(node));
}

function describeTrust(t: TrustListView): string[] {
  const nodes = t.nodes.length;
  return [
    `trust list  ${t.state}${t.alarm ? ' (ALARM)' : ''}`,
    `issuer      ${t.issuer}`,
    `version     ${cell(t.version)}, issued ${cell(t.issuedAt)}, expires ${cell(t.expiresAt)}${t.expiresInSeconds !== null ? ` (in ${t.expiresInSeconds} s)` : ''}`,
    `nodes       ${nodes}`,
  ];
}

async function trustListCommand(ctx: Context): Promise<void> {
  const t = await ctx.client.json<TrustListView>('GET', '/api/v1/federation/trust-list');
  emit(ctx, t, () => [
    ...describeTrust(t),
    ...(t.nodes.length
      ? table(
          ['code', 'key'],
          t.nodes.map((n) => [n.code, n.publicKey]),
        )
      : []),
  ]);
}

async function trustResetCommand(ctx: Context, reason: string): Promise<void> {
  const t = await ctx.client.json<TrustListView>('POST', '/api/v1/federation/trust-list/reset', { reason });
  emit(ctx, t, () => [...describeTrust(t), "the list is dropped; the node fetches the parent's list anew and trusts no other node until it arrives"]);
}

async function rotateKeyCommand(ctx: Context): Promise<void> {
  const r = await ctx.client.json<KeyRotationView>('POST', '/api/v1/federation/key/rotate');
  emit(ctx, r, () => [
    `new key ${r.publicKey} ${r.state} to the parent (previous ${r.previousPublicKey})`,
    'it is in force once the trust list names it: tdx federation trust-list',
  ]);
}

const CODE = { name: 'CODE', help: 'the division code of the node', check: check.division('CODE') };
const KEY = {
  type: 'string' as const,
  value: 'PUBLIC_KEY',
  help: 'which key, when several ask to join as this code (tdx federation nodes shows their fingerprints)',
  check: (v: string) => (/^[A-Za-z0-9_-]{43}$/.test(v) ? undefined : '--key must be an Ed25519 public key: 43 characters of base64url'),
};
const REASON = { type: 'string' as const, required: true, value: 'TEXT', help: 'why; recorded and shown to the node', check: check.nonBlank('--reason') };

export const federationCommands: CommandSpec[] = [
  {
    name: 'federation status',
    args: [],
    options: {},
    summary: 'links to the parent and children: joined, backlog, lag, last errors; the trust list',
    run: (ctx) => statusCommand(ctx),
  },
  {
    name: 'federation digest',
    args: [],
    options: {},
    summary: 'per origin: entry count and a digest, equal at every tier that holds that origin',
    run: (ctx) => digestCommand(ctx),
  },
  {
    name: 'federation parked',
    args: [],
    options: {},
    summary: 'records this node cannot read yet (a newer protocol version, an unknown kind), kept until it is upgraded',
    run: (ctx) => parkedCommand(ctx),
  },
  {
    name: 'federation parked-reread',
    args: [],
    options: {},
    summary: 'read the parked records again now (the node does so itself at start and with each trust list)',
    run: (ctx) => rereadCommand(ctx),
  },
  {
    name: 'federation nodes',
    args: [],
    options: {
      status: {
        type: 'string',
        choices: ['pending', 'approved', 'rejected', 'revoked'],
        value: 'STATUS',
        help: 'pending (joins waiting for approval), approved, rejected or revoked',
      },
    },
    summary: 'the nodes known here and the joins waiting for approval',
    run: (ctx, { o }) => nodesCommand(ctx, o.status),
  },
  {
    name: 'federation approve',
    args: [CODE],
    options: { key: KEY },
    summary: 'approve a pending join (the node is trusted once the trust list names it)',
    run: (ctx, { inv, o }) => decideCommand(ctx, inv.args.CODE, 'approve', o),
  },
  {
    name: 'federation reject',
    args: [CODE],
    options: { reason: REASON, key: KEY },
    summary: 'reject a pending join',
    run: (ctx, { inv, o }) => decideCommand(ctx, inv.args.CODE, 'reject', o),
  },
  {
    name: 'federation revoke',
    args: [CODE],
    options: { reason: REASON },
    summary: 'revoke an approved node: it is no longer trusted',
    run: (ctx, { inv, o }) => decideCommand(ctx, inv.args.CODE, 'revoke', o),
  },
  {
    name: 'federation trust-list',
    args: [],
    options: {},
    summary: 'the trust list this node holds: state, version, expiry, nodes',
    run: (ctx) => trustListCommand(ctx),
  },
  {
    name: 'federation trust-reset',
    args: [],
    options: { reason: REASON },
    summary: "drop the trust list this node holds and fetch its parent's anew (fail closed until it arrives)",
    run: (ctx, { o }) => trustResetCommand(ctx, o.reason as string),
  },
  {
    name: 'federation rotate-key',
    args: [],
    options: {},
    summary: "rotate this node's key: announced to the parent, in force once the trust list names it",
    run: (ctx) => rotateKeyCommand(ctx),
  },
];
