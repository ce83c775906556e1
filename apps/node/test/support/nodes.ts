import type { INestApplication } from '@nestjs/common';
import { join } from 'node:path';
import { createTestDatabase, freePort, NodeSpec, SHARED_NATS_URL, signInAs, TEST_ADMIN_PASSWORD, TestDatabase, testNodeEnvironment } from '@tdx/testing';
import { loadNodeConfig } from '../../src/config/environment';
import { createNodeApp } from '../../src/create-node-app';

export interface RunningNode {
  code: string;
  url: string;
  stop(): Promise<void>;
}

/**
 * A node as a Nest application inside the test process (several can run side by side), from the
 * node's own source: the environment and trust anchor are the test kit's, as for a NodeProcess.
 */
export async function startInProcessNode(spec: NodeSpec): Promise<RunningNode & { app: INestApplication }> {
  const port = await freePort();
  const config = loadNodeConfig(testNodeEnvironment(spec, port));
  const app = await createNodeApp(config);
  await app.listen(port, '127.0.0.1');
  signInAs(`http://127.0.0.1:${port}`, 'admin', config.auth.adminPassword ?? TEST_ADMIN_PASSWORD);
  return { code: spec.code, url: `http://127.0.0.1:${port}`, app, stop: () => app.close() };
}

/**
 * Nodes of one test federation in this process, on the shared NATS server under `namespace`: each
 * started (again) with its own database (kept across restarts) and its key file in `keyDir`.
 */
export function inProcessFederation(namespace: string, label: string, keyDir: string) {
  const databases = new Map<string, TestDatabase>();
  const running = new Map<string, RunningNode>();
  async function start(code: string, parentCode: string | undefined, env: Record<string, string>): Promise<RunningNode> {
    const db = databases.get(code) ?? (await createTestDatabase(`${label}_${code}`));
    databases.set(code, db);
    const node = await startInProcessNode({
      code,
      parentCode,
      databaseUrl: db.url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
      keyFile: join(keyDir, `${code}.pem`),
      env,
    });
    running.set(code, node);
    return node;
  }
  return { databases, running, start };
}
