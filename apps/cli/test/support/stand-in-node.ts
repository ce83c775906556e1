import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export type Answer = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/**
 * A stand-in node over real HTTP on a free port, for the CLI's unit tests: each request's body is
 * read whole, then handed with the request to `onRequest`, which records and answers it.
 */
export async function startStandInNode(onRequest: Answer): Promise<{ base: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => onRequest(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** Answers with `body` as JSON. */
export function answerJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
