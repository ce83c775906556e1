import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Masking of sensitive data items moves into the holder's database (rules: docs/protocol.md,
 * "Masking"): a chunk is read with `COPY (SELECT ... masked ...) TO STDOUT`, so unmasked values
 * never reach the node's memory, and the node neither parses nor re-serialises rows (it was half
 * of the holder's CPU per row, measured with --cpu-prof).
 *
 * Only code-point ranges and literal characters are used, never character classes such as
 * [[:alpha:]] or \s: those follow the database's locale (a "C" database knows no Chinese letters),
 * and masking must not depend on how a database was created.
 *
 * STABLE, not IMMUTABLE, because to_jsonb is STABLE: a function declared more strictly than its
 * body is not inlined, and inlined is several times faster per row. An inlined function repeats
 * its argument's expression at every use, so the caller (maskedDataSql) computes each item's text
 * and JSON type once per row (a subquery) and passes those to tdx_mask_item: 10 instead of
 * 20 ms per 2,000 rows of three sensitive items. The cheap length and `@` tests before each
 * pattern spare most values most regular expressions.
 */
export class MaskingInSql1764330001000 implements MigrationInterface {
  name = 'MaskingInSql1764330001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION tdx_mask_text(v text, mode text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
        SELECT CASE
          WHEN mode = 'shape' THEN regexp_replace(v, '${SHAPE_KEEPS}', '*', 'g')
          WHEN length(v) = 18 AND v ~ '^[0-9]{17}[0-9Xx]$' THEN left(v, 6) || '********' || substr(v, 15)
          WHEN length(v) = 11 AND v ~ '^1[0-9]{10}$' THEN left(v, 3) || '****' || substr(v, 8)
          WHEN length(v) BETWEEN 2 AND 6 AND v ~ '^[${HAN}]{2,6}$' THEN left(v, 1) || repeat('*', length(v) - 1)
          WHEN strpos(v, '@') > 0 AND v ~ '^[^@${SPACE}]+@[^@${SPACE}]+$' THEN left(v, 1) || '***' || substr(v, strpos(v, '@'))
          WHEN length(v) >= 10 AND v ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' THEN left(v, 4) || '-**-**'
          ELSE left(v, length(v) / 4) || repeat('*', length(v) - 2 * (length(v) / 4)) || right(v, length(v) / 4)
        END
      $fn$`);
    // An item as its JSON type and its text (`data ->> item`), each computed once per row by the caller.
    await q.query(`
      CREATE FUNCTION tdx_mask_item(kind text, value text, mode text) RETURNS jsonb LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
        SELECT CASE WHEN mode <> 'withheld' AND kind = 'string' THEN to_jsonb(tdx_mask_text(value, mode)) ELSE 'null'::jsonb END
      $fn$`);
    await q.query(`
      CREATE FUNCTION tdx_mask(v jsonb, mode text) RETURNS jsonb LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
        SELECT tdx_mask_item(jsonb_typeof(v), v #>> '{}', mode)
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION tdx_mask(jsonb, text)`);
    await q.query(`DROP FUNCTION tdx_mask_item(text, text, text)`);
    await q.query(`DROP FUNCTION tdx_mask_text(text, text)`);
  }
}

/** A person's name: Han characters (the CJK ideograph blocks) and the middle dot of names such as 阿依古丽·买买提. */
const HAN = String.raw`\u00B7\u3007\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\U00020000-\U0002FA1F\U00030000-\U000323AF`;
/** White space, as JavaScript's \s knows it: ASCII, no-break, the Unicode spaces and the ideographic space. */
const SPACE = String.raw`\u0009-\u000D\u0020\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF`;
/**
 * At L3 every character becomes `*` except these separators, so the shape stays: ASCII space and
 * punctuation, and the common Chinese marks (· — 、 。 （ ） ， － ／ ： and the ideographic space).
 */
const SHAPE_KEEPS = String.raw`[^ !"#$%&''()*+,./:;<=>?@\[\\\]^_\u0060{|}~\-\u00B7\u2014\u3000\u3001\u3002\uFF08\uFF09\uFF0C\uFF0D\uFF0F\uFF1A]`;
