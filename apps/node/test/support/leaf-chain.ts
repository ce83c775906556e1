import { join } from 'node:path';
import { freePort, TestNatsServer } from '@tdx/testing';

/** A test nats-server of the production topology, with the port its tier below connects to as a leaf. */
export type LeafServer = TestNatsServer & { readonly leafPort: number };

/**
 * One nats-server of the production topology (deploy/nats/*.conf): JetStream in its own
 * domain, a leaf-node listener for the tier below, and a leaf remote to the tier above.
 */
export async function startLeafServer(name: string, hub?: LeafServer): Promise<LeafServer> {
  const leafPort = await freePort();
  const remotes = hub ? `remotes: [ { url: "nats-leaf://127.0.0.1:${hub.leafPort}" } ]` : '';
  const server = await TestNatsServer.start(({ port, storeDir }) =>
    [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${port}`,
      `jetstream { store_dir: "${join(storeDir, 'js')}", domain: ${name} }`,
      `leafnodes { listen: 127.0.0.1:${leafPort}, reconnect: 1, ${remotes} }`,
    ].join('\n'),
  );
  return Object.assign(server, { leafPort });
}
