import { INestApplication, Logger } from '@nestjs/common';
import { retryWithBackoff } from '../common/backoff';
import { ConfigError } from '../config/environment';
import { createNodeApp } from '../create-node-app';
import type { HostedNodeConfig } from './hosted-nodes.config';

/** One hosted node as the host sees it. */
export interface HostedNodeState {
  code: string;
  port: number;
  state: 'starting' | 'serving' | 'failed' | 'stopped';
}

/**
 * Runs the nodes of a nodes file in this process, each its own Nest application on its own port,
 * independently: a node that fails to start is retried with back-off while the others serve (its
 * database may come back), and a node that loses its database later answers 503 on /health by
 * itself. Only a refused configuration ends a node's retrying.
 */
export class NodeHost {
  private readonly logger = new Logger('Hosting');
  private readonly apps = new Map<string, INestApplication>();
  private readonly states = new Map<string, HostedNodeState>();
  private stopping = false;

  constructor(private readonly nodes: HostedNodeConfig[]) {
    for (const { config } of nodes) this.states.set(config.code, { code: config.code, port: config.port, state: 'starting' });
  }

  /** Starts every node at once; resolves when each has served or failed once (failed ones keep retrying). */
  async start(): Promise<HostedNodeState[]> {
    const firstAttempts = this.nodes.map((node) => new Promise<void>((settled) => void this.keepStarting(node, settled)));
    await Promise.all(firstAttempts);
    return this.report();
  }

  report(): HostedNodeState[] {
    return [...this.states.values()].map((state) => ({ ...state }));
  }

  /** Closes every node (each closes its NATS connection, workers and database), whatever the others do. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(
      [...this.apps].map(async ([code, app]) => {
        await app.close();
        this.set(code, 'stopped');
      }),
    );
  }

  private async keepStarting({ config }: HostedNodeConfig, settled: () => void): Promise<void> {
    let attempts = 0;
    const app = await retryWithBackoff(
      async () => {
        attempts++;
        const created = await createNodeApp(config, { hosted: true });
        try {
          await created.listen(config.port);
        } catch (error) {
          await created.close().catch(() => undefined);
          throw error;
        }
        return created;
      },
      {
        maxMs: 60_000,
        initialMs: 2000,
        running: () => !this.stopping,
        permanent: (error) => error instanceof ConfigError,
        onError: (error, delayMs) => {
          this.set(config.code, 'failed');
          this.logger.error(`node ${config.code} failed to start (attempt ${attempts}): ${error.message}; trying again in ${Math.round(delayMs / 1000)} s`);
          settled();
        },
      },
    ).catch((error: Error) => {
      this.set(config.code, 'failed');
      this.logger.error(`node ${config.code} is not started: ${error.message}`);
      return undefined;
    });
    if (app && this.stopping) await app.close();
    else if (app) {
      this.apps.set(config.code, app);
      this.set(config.code, 'serving');
      this.logger.log(`node ${config.code} ${config.name} (${config.level}) listening on http://localhost:${config.port}`);
    }
    settled();
  }

  private set(code: string, state: HostedNodeState['state']): void {
    const current = this.states.get(code);
    if (current) current.state = state;
  }
}
