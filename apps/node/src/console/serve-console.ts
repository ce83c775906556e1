import type { Logger } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ConsoleFiles } from './console-files';
import { ASSETS_PREFIX, isConsolePath } from './console-paths';

const YEAR_SECONDS = 31_536_000;

/**
 * Serves the web console from `dir`, same origin as the API: `GET /assets/*` the hashed build
 * files (cached for a year, immutable), and `GET /` and every other GET or HEAD outside /api,
 * /health and /metrics that accepts text/html `index.html`, revalidated each time (`no-cache`),
 * so that the console's client-side routes load it. Anything else goes on to the node's routes
 * (an unknown asset: a 404 of its own). When the console is not built the node runs without it:
 * one warning at start, and `/` answers 404 saying so.
 */
export function serveConsole(dir: string, logger: Pick<Logger, 'warn' | 'log'>): RequestHandler {
  const files = new ConsoleFiles(dir);
  if (files.builtNow()) logger.log(`serving the web console from ${dir}`);
  else logger.warn(`the web console is not built (no index.html in ${dir}): / answers 404 until it is (npm run build in apps/console, or set CONSOLE_DIR)`);
  return (request: Request, response: Response, next: NextFunction) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || !isConsolePath(request.path)) return next();
    void answer(files, request, response).then((answered) => (answered ? undefined : next()), next);
  };
}

/** Answers the request if it is the console's; false leaves it to the routes behind. */
async function answer(files: ConsoleFiles, request: Request, response: Response): Promise<boolean> {
  const path = request.path;
  if (path.toLowerCase().startsWith(ASSETS_PREFIX)) {
    const file = await files.asset(path.slice(ASSETS_PREFIX.length));
    if (!file) {
      notFound(response, 'no such file of the console');
      return true;
    }
    await send(response, file, `public, max-age=${YEAR_SECONDS}, immutable`);
    return true;
  }
  if (path !== '/' && !acceptsHtml(request)) return false;
  const index = await files.index();
  if (!index) {
    notFound(response, 'the web console is not built on this node (no index.html in its CONSOLE_DIR); the API is under /api/v1');
    return true;
  }
  await send(response, index, 'no-cache');
  return true;
}

/** A browser navigating asks for text/html explicitly; an API client or a scraper does not. */
function acceptsHtml(request: Request): boolean {
  return /(^|[\s,])text\/html([\s;,]|$)/i.test(request.headers.accept ?? '');
}

function send(response: Response, file: string, cacheControl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // An absolute path, checked already (its segments allow no dot files); ETag and Last-Modified for revalidation.
    response.sendFile(file, { cacheControl: false, dotfiles: 'allow', headers: { 'Cache-Control': cacheControl } }, (error?: Error) => {
      if (!error) return resolve();
      // The client went away, or the file vanished between the check and the read: nothing to answer then.
      if (response.headersSent) return resolve();
      if ((error as Error & { status?: number }).status !== 404) return reject(error);
      notFound(response, 'no such file of the console');
      resolve();
    });
  });
}

function notFound(response: Response, message: string): void {
  response.status(404).json({ statusCode: 404, error: 'Not Found', message });
}
