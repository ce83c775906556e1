import { setFlagsFromString } from 'node:v8';

/** How far the old generation may grow after a full collection before the next: 1 + 300 % = 4 times. */
export const HEAP_GROWING_PERCENT = 300;

/**
 * After each full collection V8 lets the old generation grow by a factor it derives from how fast
 * it collects. With this service's small live heap (about 30 MB) that left less room than the young
 * generation's, and V8 then starts marking again at once: a return transfer, whose megabyte chunks
 * live long enough to be promoted while they wait to be written, ran a full collection every 200 ms
 * (28 in bench:return's three returns to the city, a quarter of the receiving node's CPU). With
 * room for four times the live heap it ran 6, for about 30 MB more resident memory. The flag is
 * read whenever V8 sets the next limit, so setting it at start-up is enough. Every node process
 * passes through here, however started (npm run start:node, the systemd unit, the demo, the
 * benchmarks); the nodes tests start inside jest's own process do not.
 */
export function tuneHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
