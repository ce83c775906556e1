import { Inject, Injectable } from '@nestjs/common';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { FixedWindowLimiter } from '../hardening/fixed-window-limiter';
import { MetricsRegistry } from '../metrics/metrics.registry';

/** The core-NATS responders of a node. */
export type Responder = 'join' | 'return' | 'trust-list' | 'heartbeat' | 'channel';

/**
 * Per-sender budgets for the requests a node answers over core NATS. A JetStream link is bounded
 * by its consumer, but a responder does work (a database read, a signature, an audit record) for
 * every request anyone publishes, so each sender gets `NATS_REQUEST_RATE_LIMIT` requests per
 * window per responder, and the excess gets a short refusal that costs nothing. Memory is bounded
 * by RATE_LIMIT_MAX_KEYS per responder, however many sender names a flood makes up.
 */
@Injectable()
export class RequestLimits {
  private readonly limiters = new Map<Responder, FixedWindowLimiter>();

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly metrics: MetricsRegistry,
  ) {}

  /** Undefined when `sender` may be answered; otherwise the refusal to answer with (counted in the metrics). */
  refusal(responder: Responder, sender: string): string | undefined {
    let limiter = this.limiters.get(responder);
    if (!limiter) {
      const budget = responder === 'channel' ? this.config.http.channelRequestsPerSender : this.config.http.natsRequestsPerSender;
      limiter = new FixedWindowLimiter(budget, this.config.http.rateLimitMaxKeys);
      this.limiters.set(responder, limiter);
    }
    const name = sender.slice(0, 64);
    const hit = limiter.hit(name);
    if (hit.allowed) return undefined;
    this.metrics.natsRequestsRefused.inc({ responder });
    return `too many requests from ${name}; try again in ${hit.retryAfterSeconds} s`;
  }
}

/**
 * Who sent a request on a subject that does not name its sender (the trust list): the node whose
 * reply inbox it asked to be answered on (`_INBOX_<ns>_<node>.…`, the only inbox a node may
 * subscribe to), or the whole inbox prefix when it has another form.
 */
export function senderOfReply(reply: string | undefined): string {
  const prefix = (reply ?? '').split('.')[0];
  return prefix.slice(prefix.lastIndexOf('_') + 1) || prefix;
}
