type Env = Record<string, string | undefined>;

/** Several replicas of one node (docs/architecture.md, "Several replicas of one node"). */
export interface HighAvailabilityConfig {
  /**
   * WORKER_LEASE_SECONDS: how long a replica holds a background task (the relay, a child link's
   * worker...) without renewing it; when a replica dies, another takes the task over this long after
   * its last renewal.
   */
  workerLeaseSeconds: number;
  /** NATS_STREAM_REPLICAS: copies JetStream keeps of this node's inbound stream (1, or 3 on a 3-server cluster). */
  natsStreamReplicas: number;
}

export const HIGH_AVAILABILITY_DEFAULTS = { WORKER_LEASE_SECONDS: 15, NATS_STREAM_REPLICAS: 1 } as const;

/** Reads the high-availability variables; every problem names its variable and never quotes its value. */
export function loadHighAvailabilityConfig(env: Env): { config: HighAvailabilityConfig; problems: string[] } {
  const problems: string[] = [];
  const integer = (name: keyof typeof HIGH_AVAILABILITY_DEFAULTS, min: number, max: number, what: string): number => {
    const text = env[name]?.trim();
    if (text === undefined || text === '') return HIGH_AVAILABILITY_DEFAULTS[name];
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be ${what} between ${min} and ${max}`);
      return HIGH_AVAILABILITY_DEFAULTS[name];
    }
    return value;
  };
  // Two seconds at least: a lease is renewed every third of it, and a shorter one would turn a
  // database pause into a hand-over.
  const workerLeaseSeconds = integer('WORKER_LEASE_SECONDS', 2, 300, 'a whole number of seconds');
  // JetStream keeps at most five copies; an even number tolerates no more failures than the odd one below it.
  const natsStreamReplicas = integer('NATS_STREAM_REPLICAS', 1, 5, 'a whole number of copies');
  if (natsStreamReplicas % 2 === 0 && !problems.some((p) => p.startsWith('NATS_STREAM_REPLICAS'))) {
    problems.push('NATS_STREAM_REPLICAS must be 1, 3 or 5: an even number of copies survives no more server losses than one fewer');
  }
  return { config: { workerLeaseSeconds, natsStreamReplicas }, problems };
}
