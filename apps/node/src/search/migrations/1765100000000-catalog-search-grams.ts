import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Province-wide search by substring, Chinese included. PostgreSQL's text search does not segment
 * Chinese, and pg_trgm cannot index a two-character word (the commonest Chinese query) and drops
 * CJK entirely in a database whose ctype is plain C. So every entry carries the distinct
 * characters and character pairs of its searchable text (name, summary, code, data item names),
 * lower-cased for ASCII only (the same in every locale), in a GIN-indexed array: a query's grams
 * must all be there (`@>`), then LIKE on the text checks the order. Both are generated columns,
 * so every write path (registration, replicas, COPY) keeps them without code of its own.
 */
export class CatalogSearchGrams1765100000000 implements MigrationInterface {
  name = 'CatalogSearchGrams1765100000000';

  async up(q: QueryRunner): Promise<void> {
    // The searchable text: fields joined by a line break, which no query word contains, so a match never spans two fields.
    await q.query(`
      CREATE FUNCTION catalog_search_text(name text, summary text, code text, data_items jsonb) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT translate(
          concat_ws(E'\\n', name, summary, code, (SELECT string_agg(item->>'name', E'\\n') FROM jsonb_array_elements(data_items) item)),
          'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
      $$`);
    // Distinct single characters and pairs of adjacent characters, none with white space in it.
    await q.query(`
      CREATE FUNCTION search_grams(t text) RETURNS text[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
          SELECT substr(t, i, 1) AS g FROM generate_series(1, length(t)) i
          UNION ALL
          SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) i
        ) grams WHERE g !~ '\\s'
      $$`);
    await q.query(`
      ALTER TABLE catalog_entry
        ADD COLUMN search_text text GENERATED ALWAYS AS (catalog_search_text(name, summary, code, data_items)) STORED,
        ADD COLUMN search_grams text[] GENERATED ALWAYS AS (search_grams(catalog_search_text(name, summary, code, data_items))) STORED`);
    await q.query(`CREATE INDEX catalog_entry_search_grams ON catalog_entry USING gin (search_grams) WITH (fastupdate = off)`);
    // Filters whose values are rare (one institution, one origin) walk their own index in page order.
    await q.query(`CREATE INDEX catalog_entry_provider_seq ON catalog_entry (provider_id, row_seq)`);
    await q.query(`CREATE INDEX catalog_entry_origin_seq ON catalog_entry (origin, row_seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX catalog_entry_origin_seq`);
    await q.query(`DROP INDEX catalog_entry_provider_seq`);
    await q.query(`DROP INDEX catalog_entry_search_grams`);
    await q.query(`ALTER TABLE catalog_entry DROP COLUMN search_grams, DROP COLUMN search_text`);
    await q.query(`DROP FUNCTION search_grams(text)`);
    await q.query(`DROP FUNCTION catalog_search_text(text, text, text, jsonb)`);
  }
}
