import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadNodeConfig } from './config/environment';
import { createNodeApp } from './create-node-app';
import { tuneHeapGrowth } from './heap-tuning';
import { hostNodesFromFile } from './hosting/host-nodes';

/** One node from the environment, or several from TDX_NODES_FILE (docs/operator-guide.md, "Hosted nodes"). */
async function main(): Promise<void> {
  tuneHeapGrowth();
  try {
    if (process.env.TDX_NODES_FILE) {
      await hostNodesFromFile(process.env.TDX_NODES_FILE, process.env);
      return;
    }
    const config = loadNodeConfig(process.env);
    const app = await createNodeApp(config);
    await app.listen(config.port);
    new Logger('Node').log(`node ${config.code} ${config.name} (${config.level}) listening on http://localhost:${config.port}`);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tdx node refuses to start: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

void main();
