import { Logger } from '@nestjs/common';
import { ConfigError } from '../config/environment';
import { secretsOf } from '../hardening/node-secrets';
import { RedactingLogger } from '../hardening/redacting-logger';
import { checkHostedNodes, HostedNodeConfig } from './hosted-nodes.config';
import { NodeHost } from './node-host';
import { preflight } from './preflight';

/**
 * Serves the nodes of a nodes file (TDX_NODES_FILE) in this process. Everything is checked before
 * anything starts: the file, every node's variables, the nodes against each other, then each
 * node's database, port and key. Any problem throws one ConfigError naming all of them.
 */
export async function hostNodesFromFile(file: string, env: Record<string, string | undefined>): Promise<NodeHost> {
  if (env.NODE_CODE) {
    throw new ConfigError([`TDX_NODES_FILE and NODE_CODE are both set: a process runs either the nodes of a file or the one node of its environment`]);
  }
  // The databases, ports and keys of the nodes valid by themselves are tried even when the file
  // has other problems, so that the one message names everything to fix.
  const { hosted, problems } = checkHostedNodes(file, env);
  const tried = await preflight(hosted);
  problems.push(...tried.problems);
  if (problems.length > 0) throw new ConfigError(problems);
  for (const warning of tried.warnings) new Logger('Hosting').warn(warning);

  redactEveryNodesSecrets(hosted);
  const host = new NodeHost(hosted);
  keepServingThroughOneNodesFailure();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      new Logger('Hosting').log(`${signal}: stopping ${hosted.length} nodes`);
      void host.stop().finally(() => process.exit(0));
    });
  }
  const states = await host.start();
  const serving = states.filter((s) => s.state === 'serving').length;
  new Logger('Hosting').log(`hosting ${serving} of ${states.length} nodes from ${file}: ${states.map((s) => `${s.code} ${s.state} :${s.port}`).join(', ')}`);
  return host;
}

/**
 * Nest's `Logger` is process-wide: the node created last writes every node's lines, and each
 * node's logger redacts the secrets of the nodes created before it (RedactingLogger.forNode). The
 * nodes start at once, so "before" is not an order to rely on: a process-wide logger that knows
 * every node's secrets goes first, and each node's logger inherits all of them.
 */
export function redactEveryNodesSecrets(hosted: HostedNodeConfig[]): void {
  const secrets = hosted.flatMap(({ config }) => secretsOf(config));
  Logger.overrideLogger(RedactingLogger.forNode(secrets, ['fatal', 'error', 'warn', 'log']));
}

/**
 * In a process of several nodes, an error that escapes one node's code (a rejected promise nobody
 * awaited, an exception thrown from a callback) must not end the others: Node's default is to exit.
 * It is logged as an error, to be found and fixed; each node's state stays its own (its
 * connections and workers recover by their own retrying), and /health shows a node that is down.
 */
function keepServingThroughOneNodesFailure(): void {
  const logger = new Logger('Hosting');
  process.on('unhandledRejection', (reason) => {
    logger.error(`unhandled rejection, the process keeps serving: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
  process.on('uncaughtException', (error) => {
    logger.error(`uncaught exception, the process keeps serving: ${error.stack ?? error.message}`);
  });
}
