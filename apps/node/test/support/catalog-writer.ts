import { api, eventually } from '@tdx/testing';
import { sampleEntry } from './samples';

/**
 * Keeps registering and revising catalog entries at a node, one request at a time per lane, until
 * stopped. `urls` are the node's replicas, as a load balancer would spread requests over them: a
 * replica that does not answer (killed) is left for the next one, as a balancer's health check would.
 * The node's own database is the truth to compare with, so a request whose answer was lost in a
 * crash (committed or not) needs no bookkeeping here.
 */
export class CatalogWriter {
  committed = 0;
  readonly failures: string[] = [];
  private readonly down = new Set<string>();
  private running = false;
  private lanes: Promise<void>[] = [];

  constructor(
    private readonly urls: string[],
    private readonly providerId: string,
    private readonly label: string,
    private readonly laneCount = 2,
  ) {}

  start(): void {
    this.running = true;
    this.lanes = Array.from({ length: this.laneCount }, (_, lane) => this.run(lane));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.lanes);
  }

  /** Waits until `more` further changes have been committed. */
  async advance(more: number, timeoutMs = 60_000): Promise<void> {
    const target = this.committed + more;
    await eventually(() => expect(this.committed).toBeGreaterThanOrEqual(target), timeoutMs, 20);
  }

  private async run(lane: number): Promise<void> {
    // Each lane revises only its own entries, so that two lanes never revise one entry at the same moment.
    const live: string[] = [];
    let i = 0;
    while (this.running) {
      i++;
      const url = this.urls[(i + lane) % this.urls.length];
      if (this.down.has(url) && this.down.size < this.urls.length) continue;
      try {
        const revise = live.length > 5 && i % 3 === 0;
        const response = revise
          ? await api(url, 'PATCH', `/api/v1/catalog/entries/${live[(i * 7) % live.length]}`, { summary: `${this.label} revision ${lane}.${i}` })
          : await api(url, 'POST', '/api/v1/catalog/entries', sampleEntry(this.providerId, { name: `${this.label} ${lane}.${i}` }));
        if (response.status >= 300) this.failures.push(`${response.status} ${JSON.stringify(response.body)}`);
        else {
          if (!revise && response.body.id) live.push(response.body.id);
          this.committed++;
        }
      } catch {
        // No answer: the replica is gone (its database holds whether the change committed).
        this.down.add(url);
      }
    }
  }
}
