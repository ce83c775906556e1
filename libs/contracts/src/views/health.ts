export type HealthCheckState = 'up' | 'down';

/** Readiness: 200 with `ok` when the database and NATS both answer, else 503 with `unavailable`. */
export interface HealthView {
  status: 'ok' | 'unavailable';
  checks: { database: HealthCheckState; nats: HealthCheckState };
}

/** Liveness: the process answers. */
export interface LivenessView {
  status: 'ok';
}
