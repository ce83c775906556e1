import { copyJsonField, copyTextField } from '../common/copy-text';
import { MaskPlan, maskValue } from './masking';

/**
 * A dataset row as the holder reads it for a chunk. PostgreSQL hands over the row's JSON without
 * its sensitive items as text, and each sensitive item as a small JSON text of its own, so the
 * node masks a few values and never parses or re-serialises whole rows.
 */
export interface ChunkSourceRow {
  rowKey: string;
  regionCode: string;
  changeSeq: string;
  /** The row's JSON object without its sensitive items; null for a deletion. */
  rest: string | null;
  /** JSON text of each sensitive item of the mask plan, in its order; null where the row lacks the item. */
  sensitive: (string | null)[];
}

export interface BuiltChunk {
  /** The rows in COPY text format (columns of RETURN_CHUNK_COLUMNS). */
  text: string;
  rows: number;
  /** Sequence of the last row included; null when no row was. */
  lastSeq: number | null;
  /** Whether rows were left out to keep the chunk under the byte budget. */
  cut: boolean;
}

/** The row's JSON with its sensitive items masked (see masking.ts); items the row lacks stay absent. */
export function maskedJson(row: ChunkSourceRow, plan: MaskPlan): string {
  const rest = row.rest ?? '{}';
  const masked: string[] = [];
  plan.sensitive.forEach((name, i) => {
    const value = row.sensitive[i];
    if (value === null || value === undefined) return;
    const shown = plan.mode === 'withheld' ? null : maskValue(JSON.parse(value), plan.mode);
    masked.push(`${JSON.stringify(name)}: ${JSON.stringify(shown)}`);
  });
  if (masked.length === 0) return rest;
  return rest === '{}' ? `{${masked.join(', ')}}` : `${rest.slice(0, -1)}, ${masked.join(', ')}}`;
}

/**
 * Serialises rows, in change order, until the next one would take the chunk past `budgetBytes`
 * (at least one row goes, whatever its size).
 */
export function buildChunk(rows: ChunkSourceRow[], plan: MaskPlan, budgetBytes: number): BuiltChunk {
  const lines: string[] = [];
  let bytes = 0;
  let lastSeq: number | null = null;
  for (const row of rows) {
    const data = row.rest === null ? '\\N' : copyJsonField(maskedJson(row, plan));
    const line = `${copyTextField(row.rowKey)}\t${copyTextField(row.regionCode)}\t${row.changeSeq}\t${data}\n`;
    const size = Buffer.byteLength(line);
    if (lines.length > 0 && bytes + size > budgetBytes) return { text: lines.join(''), rows: lines.length, lastSeq, cut: true };
    lines.push(line);
    bytes += size;
    lastSeq = Number(row.changeSeq);
  }
  return { text: lines.join(''), rows: lines.length, lastSeq, cut: false };
}
