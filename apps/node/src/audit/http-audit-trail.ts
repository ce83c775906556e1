import { BeforeApplicationShutdown, CallHandler, ExecutionContext, HttpStatus, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import type { NextFunction, Request, Response } from 'express';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { USERNAME } from '../auth/dto/accounts.dto';
import { actorOf, Principal } from '../access/principal';
import { AuditEvent, AuditLog } from './audit-log.service';
import { AnonymousRefusal, AnonymousRefusals } from './anonymous-refusals';
import { clientErrorOf } from '../common/http-answer';
import { RECORDED_BY_FEATURE } from './recorded-by-feature.decorator';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Reads worth a record of their own: the log leaving the node in bulk. */
const AUDITED_READS = new Set(['/api/v1/audit/export']);

type AuditedRequest = Request & { principal?: Principal };

/**
 * Records every operator action: each state-changing request, each refused access (401, 403),
 * and each audit export, with the actor, the route, the target and the status. Never a body.
 * Refusals of anonymous requests are counted and summarised instead (AnonymousRefusals).
 *
 * Requests that reach a handler are recorded by the interceptor after the action and before the
 * answer, so a client never sees success for an action the log lacks (a kill -9 between the
 * action's commit and the record loses the record, and the client gets no answer). Requests
 * refused before any handler ran (by a guard, the body parser, no such route) changed nothing;
 * they are recorded when the answer has gone.
 */
@Injectable()
export class HttpAuditTrail implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private readonly recorded = new WeakSet<Request>();
  /** Records being written: shutting down waits for them, before the database pool closes under them. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly log: AuditLog,
    private readonly refusals: AnonymousRefusals,
  ) {}

  /** The feature has recorded this request's answer itself (RecordedByFeature): no record here, nor by the fallback. */
  leaveToFeature(request: Request): void {
    this.recorded.add(request);
  }

  /** Whether this request gets a record at all, given its status. */
  wants(request: Request, status: number): boolean {
    return STATE_CHANGING.has(request.method) || status === 401 || status === 403 || AUDITED_READS.has(routeOf(request));
  }

  async record(request: AuditedRequest, status: number, extra: { target?: string; error?: unknown } = {}): Promise<void> {
    if (this.recorded.has(request)) return;
    this.recorded.add(request);
    const event = eventOf(request, status, extra);
    // Anyone can send these, as many as they like: counted and summarised, not chained one by one.
    if (event.actor === 'anonymous' && status >= 400) {
      this.refusals.count(anonymousRefusalOf(request, status, event));
      return;
    }
    const writing = this.append(request, status, event);
    this.inFlight.add(writing);
    try {
      await writing;
    } finally {
      this.inFlight.delete(writing);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  private async append(request: AuditedRequest, status: number, event: AuditEvent): Promise<void> {
    try {
      await this.log.append(event);
    } catch (error) {
      // The action itself stands; a failure to record it is an operator's alarm, not the client's error.
      this.logger.error(`could not record ${request.method} ${routeOf(request)} (${status}) in the audit log: ${(error as Error).message}`);
    }
  }
}

@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly trail: HttpAuditTrail) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuditedRequest>();
    const success =
      (Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined) ?? (request.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
    const byFeature = Reflect.getMetadata(RECORDED_BY_FEATURE, context.getHandler()) === true;
    return next.handle().pipe(
      mergeMap((result: unknown) => {
        if (byFeature) this.trail.leaveToFeature(request);
        if (byFeature || !this.trail.wants(request, success)) return [result];
        return from(this.trail.record(request, success, { target: createdId(result) }).then(() => result));
      }),
      catchError((error: unknown) => {
        const status = statusOf(error);
        if (!this.trail.wants(request, status)) return throwError(() => error);
        return from(this.trail.record(request, status, { error })).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }
}

/**
 * The fallback for requests no handler saw, recorded once the answer has been sent. Registered
 * first of all Express middleware (create-node-app.ts), so it also sees what is refused in front
 * of the routes: the sign-in rate limit (429), oversized bodies (413), malformed JSON (400).
 */
export function recordUnhandledRequests(trail: HttpAuditTrail): (request: Request, response: Response, next: NextFunction) => void {
  return (request, response, next) => {
    response.once('finish', () => {
      if (trail.wants(request, response.statusCode)) void trail.record(request, response.statusCode).catch(() => undefined);
    });
    next();
  };
}

/** The route's template (`/api/v1/catalog/entries/:id`), or the bare path when no route matched. */
function routeOf(request: Request): string {
  const route = (request.route as { path?: unknown } | undefined)?.path;
  return typeof route === 'string' ? route : request.path;
}

function eventOf(request: AuditedRequest, status: number, extra: { target?: string; error?: unknown }): AuditEvent {
  const route = routeOf(request);
  const params = Object.values(request.params ?? {}).filter((v): v is string => typeof v === 'string');
  const target = params.length > 0 ? params.join('/') : (extra.target ?? null);
  const details: Record<string, unknown> = { method: request.method, route, ip: request.ip ?? null };
  if (!request.route) details.path = request.path;
  const refusal = refusalOf(extra.error);
  if (refusal) Object.assign(details, refusal);
  const auth = /^\/api\/v1\/auth\/([a-z-]+)$/.exec(route);
  if (auth) {
    // Sign-in: the name tried, so failed attempts against one account show up; never the password or a token.
    // Only a name an account could have: a password typed into the name field must not land in the log.
    const tried: unknown = request.body?.username;
    const username = typeof tried === 'string' && USERNAME.test(tried) ? tried : undefined;
    if (username !== undefined) details.username = username;
    const signedIn = auth[1] === 'login' && status >= 200 && status < 300 && username !== undefined;
    return { actor: signedIn ? `user:${username}` : actorOf(request.principal), action: `auth.${auth[1]}`, target, outcome: String(status), details };
  }
  return { actor: actorOf(request.principal), action: `${request.method} ${route}`, target, outcome: String(status), details };
}

/** The facts of an anonymous refusal worth counting, from the event it would have been. */
function anonymousRefusalOf(request: Request, status: number, event: AuditEvent): AnonymousRefusal {
  const details = event.details ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    method: request.method,
    route: request.route ? routeOf(request) : null,
    status,
    error: text(details.error),
    ip: text(details.ip) ?? null,
    username: text(details.username),
  };
}

function statusOf(error: unknown): number {
  const answer = clientErrorOf(error);
  if (answer) return answer.status;
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : HttpStatus.INTERNAL_SERVER_ERROR;
}

/** For a refusal, its error name and rule (422): never its message, which may echo the input. */
function refusalOf(error: unknown): Record<string, unknown> | undefined {
  const answer = clientErrorOf(error);
  if (!answer) return error === undefined ? undefined : { error: 'Internal Server Error' };
  const { body } = answer;
  if (typeof body !== 'object' || body === null) return undefined;
  const { error: name, rule } = body as { error?: unknown; rule?: unknown };
  return { ...(typeof name === 'string' ? { error: name } : {}), ...(typeof rule === 'string' ? { rule } : {}) };
}

/** A created resource's id, the target of a POST without route parameters. */
function createdId(result: unknown): string | undefined {
  const id = (result as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}
