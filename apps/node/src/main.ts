import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadNodeConfig } from './config/environment';
import { createNodeApp } from './create-node-app';
import { tuneHeapGrowth } from './heap-tuning';

async function main(): Promise<void> {
  tuneHeapGrowth();
  let config;
  let app;
  try {
    config = loadNodeConfig(process.env);
    app = await createNodeApp(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tdx node refuses to start: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  await app.listen(config.port);
  new Logger('Node').log(`node ${config.code} ${config.name} (${config.level}) listening on http://localhost:${config.port}`);
}

void main();
