import { createServer, Socket } from 'node:net';
import { KitError } from './errors';

/**
 * Ports this process has handed out. A port is free when asked for but bound only later, by a
 * process started after; until then the OS may offer it again, and two nodes of one tree would get
 * the same port (seen at 102 nodes: a node's URL answered by another node).
 */
const handedOut = new Set<number>();

/** A port nothing listens on now, on any interface (a node binds them all), and not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = await anyFreePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new KitError('no free port that this process has not handed out already');
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** True when something accepts connections on 127.0.0.1:`port`. */
export async function portAnswers(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (open: boolean) => (socket.destroy(), resolve(open));
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1');
  });
}

/** Waits until something listens on `port`; `alive` (when given) fails the wait early, e.g. once the server's process has exited. */
export async function waitForPort(port: number, timeoutMs = 15_000, alive?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    alive?.();
    if (await portAnswers(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new KitError(`nothing listens on port ${port} after ${timeoutMs / 1000} s`);
}

/** True when nothing listens on the port and it can be bound on all interfaces, as a node binds it. */
export async function portIsFree(port: number): Promise<boolean> {
  if (await portAnswers(port)) return false;
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}
