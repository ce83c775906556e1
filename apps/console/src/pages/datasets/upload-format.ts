/** The media type the node expects for a file, by its name (CSV or NDJSON); undefined for anything else. */
export function contentTypeOf(file: { name: string; type: string }): string | undefined {
  const name = file.name.toLowerCase();
  if (name.endsWith('.csv') || file.type === 'text/csv') return 'text/csv';
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl') || file.type === 'application/x-ndjson') return 'application/x-ndjson';
  return undefined;
}
