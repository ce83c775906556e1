import helmet from 'helmet';
import type { RequestHandler } from 'express';
import { isConsolePath } from '../console/console-paths';

/** Where Swagger UI is served (see create-node-app.ts); its page needs its own scripts, styles and images. */
export const API_DOCS_PATH = '/api/docs';

/**
 * Security headers. The API answers JSON only, so its content security policy allows nothing to
 * load or frame it. Swagger UI at /api/docs loads its scripts and styles from this node, sets
 * inline styles, shows data: images and fetches /api/docs-json: its policy allows exactly that.
 * The web console (every path outside /api, /health and /metrics) loads its scripts, styles,
 * fonts and images from this node and calls its API: no inline script or style (React sets
 * styles through the CSSOM, which CSP does not restrict), no other origin, no framing.
 */
export function securityHeaders(): RequestHandler {
  const api = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  });
  const docs = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
  const consolePages = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
  return (request, response, next) => (isDocsPath(request.path) ? docs : isConsolePath(request.path) ? consolePages : api)(request, response, next);
}

function isDocsPath(path: string): boolean {
  const lower = path.toLowerCase();
  return lower === API_DOCS_PATH || lower.startsWith(`${API_DOCS_PATH}/`);
}
