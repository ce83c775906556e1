const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const SIZE = /^(\d+)\s*(b|kb|mb|gb)?$/i;

/** `5mb`, `512kb`, `10gb` or a number of bytes; undefined when the text is not such a size. */
export function parseByteSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * UNITS[(match[2] ?? 'b').toLowerCase()];
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A size for people: 5242880 is `5 MiB`. */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}
