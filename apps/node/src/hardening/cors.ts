import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';

/**
 * CORS for the origins an operator lists (CORS_ORIGINS); any other origin gets no
 * Access-Control-Allow-Origin, so browsers keep its pages from reading the answers. Tokens travel
 * in the Authorization header, never in cookies, so credentialed requests are not allowed.
 */
export function corsOptions(origins: string[]): CorsOptions {
  const allowed = new Set(origins);
  return {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin.toLowerCase())),
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Content-Encoding'],
    exposedHeaders: ['Retry-After'],
    credentials: false,
    maxAge: 600,
  };
}
