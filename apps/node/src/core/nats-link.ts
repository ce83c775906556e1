import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { connect, NatsConnection, nkeyAuthenticator } from '@nats-io/transport-node';
import { jetstream, JetStreamClient, jetstreamManager, JetStreamManager } from '@nats-io/jetstream';
import { NatsNames, subjectsFor } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { readNkeySeed } from '../config/nats-credentials';
import { retryWithBackoff } from '../common/backoff';

export interface NatsHandles {
  names: NatsNames;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/**
 * This node's own NATS connection. It connects in the background and reconnects forever, so a
 * node starts (and answers /health) while NATS is down, and never needs a restart to recover.
 */
@Injectable()
export class NatsLink implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(NatsLink.name);
  private handles: NatsHandles | undefined;
  private readonly waiters: ((handles: NatsHandles) => void)[] = [];
  private stopped = false;

  constructor(@Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig) {}

  onModuleInit(): void {
    void this.connectLoop();
  }

  /** Resolves once the first connection is up. */
  ready(): Promise<NatsHandles> {
    return this.handles ? Promise.resolve(this.handles) : new Promise((resolve) => this.waiters.push(resolve));
  }

  isConnected(): boolean {
    return this.handles !== undefined && !this.handles.nc.isClosed() && !this.reconnecting;
  }

  private reconnecting = false;

  private async connectLoop(): Promise<void> {
    await retryWithBackoff(() => this.connectOnce(), {
      maxMs: 10_000,
      running: () => !this.stopped,
      onError: (error, delay) => this.logger.warn(`NATS not reachable (${error.message}); retrying in ${delay} ms`),
    });
  }

  private async connectOnce(): Promise<void> {
    const names = subjectsFor(this.config.natsNamespace);
    const seedFile = this.config.natsNkeySeedFile;
    const nc = await connect({
      servers: this.config.natsUrl.split(','),
      name: `tdx-node-${this.config.code}`,
      // Replies (joins, returns, JetStream acks, pulled messages) come under this node's own
      // prefix: its NATS user may subscribe to no other inbox (deploy/nats), so no node reads another's replies.
      inboxPrefix: names.inboxPrefix(this.config.code),
      // The seed is read at every (re)connect, so a replaced seed file needs no restart.
      ...(seedFile ? { authenticator: nkeyAuthenticator(() => readNkeySeed(seedFile)) } : {}),
      // The client reads these files at every (re)connect too: renewed certificates need no restart.
      ...(this.config.natsTls ? { tls: { ...this.config.natsTls } } : {}),
      // A refused credential (a server not yet updated) is retried like any outage, never given up.
      ignoreAuthErrorAbort: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      pingInterval: 10_000,
    });
    if (this.stopped) {
      await nc.close();
      return;
    }
    void this.watchStatus(nc);
    this.handles = { names, nc, js: jetstream(nc), jsm: await jetstreamManager(nc, { checkAPI: false }) };
    this.logger.log(`connected to NATS ${nc.getServer()}`);
    this.waiters.splice(0).forEach((resolve) => resolve(this.handles as NatsHandles));
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnecting') this.reconnecting = true;
      if (status.type === 'reconnect') {
        this.reconnecting = false;
        this.logger.log('reconnected to NATS');
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.handles && !this.handles.nc.isClosed()) await this.handles.nc.drain().catch(() => undefined);
  }
}
