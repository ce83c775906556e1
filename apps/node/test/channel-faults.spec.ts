import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createTestDatabase, eventually, TestDatabase, TestNatsServer, testNamespace } from '@tdx/testing';
import { Channel, DurableCall } from '../src/channel/channel';
import { RunningNode, startInProcessNode } from './support/nodes';
import { awaitTrustLists } from './support/replication';

/**
 * Durable channel messages through a NATS server that dies: killed while a message is being
 * applied, so the receiver commits it but its acknowledgement is lost. The sender sends it again
 * after the restart; the receiver acknowledges it without applying it twice.
 */
describe('durable channel messages across a NATS server killed mid-delivery', () => {
  const namespace = testNamespace();
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-channel-faults-'));
  const databases: Record<string, TestDatabase> = {};
  const nodes: Record<string, RunningNode & { app: INestApplication }> = {};
  const applied: DurableCall[] = [];
  let server: TestNatsServer;
  let releaseHandler: (() => void) | undefined;
  let handlerEntered: (() => void) | undefined;

  async function start(code: string, parentCode?: string): Promise<void> {
    databases[code] ??= await createTestDatabase(`chanfault_${code}`);
    nodes[code] = await startInProcessNode({
      code,
      parentCode,
      databaseUrl: databases[code].url,
      natsUrl: server.url,
      natsNamespace: namespace,
      keyFile: join(keyDir, `${code}.pem`),
      env: { CHANNEL_TIMEOUT_MS: '1000' },
    });
  }

  beforeAll(async () => {
    server = await TestNatsServer.start();
    await start('330000');
    await start('330100', '330000');
    nodes['330000'].app.get(Channel).receive('test.note', async (_manager, call) => {
      applied.push(call);
      if (handlerEntered) {
        const entered = handlerEntered;
        handlerEntered = undefined;
        // Held inside the receiver's transaction until the test has killed the server.
        await new Promise<void>((resolve) => {
          releaseHandler = resolve;
          entered();
        });
      }
    });
    await awaitTrustLists([nodes['330000'].url, nodes['330100'].url], ['330000', '330100']);
  });

  afterAll(async () => {
    for (const node of Object.values(nodes)) await node.stop().catch(() => undefined);
    await server?.stop();
    for (const db of Object.values(databases)) await db.drop();
  });

  it('applies the message once although its acknowledgement was lost with the server, and marks it delivered', async () => {
    const inside = new Promise<void>((resolve) => (handlerEntered = resolve));
    const city = nodes['330100'].app;
    const id = await city.get(DataSource).transaction((manager) => city.get(Channel).enqueue(manager, '330000', 'test.note', { decision: 'approved' }));
    await inside;
    await server.kill();
    releaseHandler?.();
    // The receiver committed (its inbox holds the id) while no acknowledgement could leave.
    await eventually(async () => expect(await databases['330000'].query(`SELECT id FROM channel_inbox WHERE id = $1`, [id])).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await databases['330100'].query(`SELECT delivered_at FROM channel_outbox WHERE id = $1`, [id])).toEqual([{ delivered_at: null }]);
    await server.restart();
    await eventually(
      async () =>
        expect(await databases['330100'].query(`SELECT count(*)::int AS n FROM channel_outbox WHERE id = $1 AND delivered_at IS NOT NULL`, [id])).toEqual([
          { n: 1 },
        ]),
      60_000,
    );
    expect(applied.filter((call) => call.id === id)).toHaveLength(1);
    const [{ attempts }] = await databases['330100'].query<{ attempts: number }>(`SELECT attempts FROM channel_outbox WHERE id = $1`, [id]);
    expect(attempts).toBeGreaterThanOrEqual(1);
  });
});
