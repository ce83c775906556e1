import { connect, NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { encodeEnvelope, Envelope, EntryState, sealRecord, SigningKey, subjectsFor } from '@tdx/contracts';
import { api, eventually, type TestDatabase } from '@tdx/testing';

/** Helpers for replication tests: what a tier holds, its link status, and a raw way onto a link. */

export interface OriginDigestBody {
  origin: string;
  count: number;
  active: number;
  versionSum: number;
  digest: string;
}

export interface ChildStatusBody {
  code: string;
  applied: number;
  skipped: number;
  rejected: number;
  pending: number | null;
  lastError: string | null;
}

/** The digest a node reports for one origin, or undefined when it holds nothing of it. */
export async function digestFor(url: string, origin: string): Promise<OriginDigestBody | undefined> {
  const response = await api<{ node: string; origins: OriginDigestBody[] }>(url, 'GET', '/api/v1/federation/digest');
  if (response.status !== 200) throw new Error(`digest of ${url} answered ${response.status}`);
  return response.body.origins.find((o) => o.origin === origin);
}

export async function digests(url: string): Promise<OriginDigestBody[]> {
  const response = await api<{ node: string; origins: OriginDigestBody[] }>(url, 'GET', '/api/v1/federation/digest');
  if (response.status !== 200) throw new Error(`digest of ${url} answered ${response.status}`);
  return response.body.origins;
}

/** The status of one child link as the parent reports it. */
export async function childStatus(url: string, child: string): Promise<ChildStatusBody> {
  const response = await api(url, 'GET', '/api/v1/federation/status');
  if (response.status !== 200) throw new Error(`status of ${url} answered ${response.status}`);
  const found = (response.body.children as ChildStatusBody[]).find((c) => c.code === child);
  if (!found) throw new Error(`${url} lists no child ${child}`);
  return found;
}

/** id -> version of every entry of `origin` in a node's database, read directly. */
export async function versionsIn(db: TestDatabase, origin: string): Promise<Map<string, number>> {
  const rows = await db.query<{ id: string; version: string }>(`SELECT id, version FROM catalog_entry WHERE origin = $1`, [origin]);
  return new Map(rows.map((r) => [r.id, Number(r.version)]));
}

/** A raw JetStream publisher for crafted records, as a misbehaving or replaying child would send them. */
export class LinkInjector {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly namespace: string,
  ) {}

  static async connect(natsUrl: string, namespace: string): Promise<LinkInjector> {
    return new LinkInjector(await connect({ servers: natsUrl }), namespace);
  }

  /** Publishes envelope bytes onto the subject a child uses towards its parent; no msgID, so JetStream never deduplicates. */
  async publish(parent: string, sender: string, data: Uint8Array): Promise<number> {
    const ack = await jetstream(this.nc).publish(subjectsFor(this.namespace).up(parent, sender), data);
    return ack.seq;
  }

  /** Messages of one child link not yet acknowledged by the parent's worker. */
  async pending(parent: string, child: string): Promise<number> {
    const names = subjectsFor(this.namespace);
    const info = await (await jetstreamManager(this.nc)).consumers.info(names.upStream(parent), names.childConsumer(child));
    return info.num_pending + info.num_ack_pending;
  }

  /** True while the parent's inbound stream still holds message `seq`, sent by `sender`: it arrived and nobody has consumed it. */
  async holds(parent: string, sender: string, seq: number): Promise<boolean> {
    const names = subjectsFor(this.namespace);
    try {
      const message = await (await jetstreamManager(this.nc)).streams.getMessage(names.upStream(parent), { seq });
      return message?.subject === names.up(parent, sender);
    } catch {
      return false;
    }
  }

  /** The subjects the consumers of the parent's inbound stream read: one per child whose records it applies. */
  async readSubjects(parent: string): Promise<string[]> {
    const consumers = await (await jetstreamManager(this.nc)).consumers.list(subjectsFor(this.namespace).upStream(parent)).next();
    return consumers.map((c) => c.config.filter_subject ?? '').sort();
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}

let craftedSeq = 1_000_000;

/** An entry.upsert record for `body`, signed with `key`, exactly as a node's outbox would hold it. */
export function sealedEntry(body: EntryState, key: SigningKey, origin = body.origin): Envelope {
  return sealRecord({ v: 1, kind: 'entry.upsert', origin, seq: craftedSeq++, at: new Date().toISOString(), body }, key);
}

export function wire(envelope: Envelope): Uint8Array {
  return encodeEnvelope(envelope);
}

/**
 * Waits until each node holds a valid trust list naming every code in `codes`: until then a node
 * trusts no other (fail closed), and a return request right after start-up would get 503.
 */
export async function awaitTrustLists(urls: string[], codes: string[]): Promise<void> {
  for (const url of urls) {
    await eventually(async () => {
      const { body } = await api(url, 'GET', '/api/v1/federation/trust-list');
      expect(body.state).toBe('valid');
      expect(body.nodes.map((n: { code: string }) => n.code)).toEqual(expect.arrayContaining(codes));
    }, 30_000);
  }
}
