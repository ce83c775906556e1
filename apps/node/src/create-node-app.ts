import { INestApplication, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { NodeConfig, NodeRuntimeConfig } from './config/node-config';
import { loadOrCreateSigningKey } from './config/signing-key.store';
import { ConfigError } from './config/environment';
import { keyFingerprint } from '@tdx/contracts';
import { AllExceptionsFilter } from './common/http-exception.filter';
import { strictValidationPipe } from './common/validation';
import { NodeModule } from './node.module';
import { openApiDocument } from './openapi';
import { applyHttpHardening } from './hardening/apply-hardening';
import { RedactingLogger } from './hardening/redacting-logger';
import { secretsOf } from './hardening/node-secrets';
import { HttpAuditTrail, recordUnhandledRequests } from './audit/http-audit-trail';
import { serveConsole } from './console/serve-console';
import { MetricsRegistry } from './metrics/metrics.registry';
import { countAnsweredRequests } from './metrics/answered-requests';

const LEVELS: Record<NodeConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

/** How the application lives in its process. */
export interface NodeAppOptions {
  /**
   * One of several nodes in this process (TDX_NODES_FILE): a failing start throws instead of
   * ending the process, and the host, not each application, answers SIGTERM (Nest's hooks would
   * re-raise the signal as soon as the first node had closed, ending the others half-way).
   */
  hosted?: boolean;
}

/** Builds one node's Nest application from its validated configuration; it does not listen yet. */
export async function createNodeApp(config: NodeConfig, options: NodeAppOptions = {}): Promise<INestApplication> {
  const { key } = loadOrCreateSigningKey(config.keyFile);
  if (config.level === 'province' && config.identity.trustAnchor && config.identity.trustAnchor !== key.publicKey) {
    throw new ConfigError([
      `TRUST_ANCHOR: is not the key of this province (NODE_KEY_FILE holds key ${keyFingerprint(key.publicKey)}, the anchor is ${keyFingerprint(config.identity.trustAnchor)})`,
    ]);
  }
  const runtime: NodeRuntimeConfig = { ...config, signingKey: key };
  const app = await NestFactory.create<NestExpressApplication>(NodeModule.forNode(runtime), {
    // Every log line names this node and passes a redactor of its secrets (database and NATS passwords, ADMIN_PASSWORD, ...).
    logger: RedactingLogger.forNode({ node: config.code, secrets: secretsOf(config), logLevels: LEVELS[config.logLevel], format: config.logFormat }),
    bodyParser: false,
    abortOnError: !options.hosted,
  });
  // First of all: the audit trail sees every answer, the refusals of the hardening in front of the routes included.
  app.use(recordUnhandledRequests(app.get(HttpAuditTrail)));
  app.use(countAnsweredRequests(app.get(MetricsRegistry)));
  applyHttpHardening(app, config.http);
  // After the hardening (the console's pages get their headers and CSP), before the node's routes.
  app.use(serveConsole(config.console.dir, new Logger('Console')));
  app.useGlobalPipes(strictValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  if (!options.hosted) app.enableShutdownHooks();
  SwaggerModule.setup('api/docs', app, openApiDocument(app, config), { jsonDocumentUrl: 'api/docs-json' });
  return app;
}
