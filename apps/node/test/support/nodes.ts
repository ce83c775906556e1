import type { INestApplication } from '@nestjs/common';
import { freePort, NodeSpec, signInAs, TEST_ADMIN_PASSWORD, testNodeEnvironment } from '@tdx/testing';
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
