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
export class CatalogSearchGrams1765100100000 implements MigrationInterface {
  name = 'CatalogSearchGrams1765100100000';

  async up(q: QueryRunner): Promise<void> {
    // The searchable text: fields joined by a space and every run of white space one space; a query
    // word holds no space, so a match never spans two fields.
    await q.query(`
      CREATE FUNCTION catalog_search_text(name text, summary text, code text, data_items jsonb) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT regexp_replace(translate(
          concat_ws(' ', name, summary, code, (SELECT string_agg(item->>'name', ' ') FROM jsonb_array_elements(data_items) item)),
          'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '\\s+', ' ', 'g')
      $$`);
    // Distinct single characters and pairs of adjacent characters, none with a space in it. Measured:
    // about 0.1 ms per entry of a few hundred characters, paid on every write of the entry.
    await q.query(`
      CREATE FUNCTION search_grams(t text) RETURNS text[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT ARRAY(SELECT DISTINCT g FROM (
          SELECT c AS g FROM unnest(string_to_array(t, NULL)) c
          UNION ALL
          SELECT c || lead(c) OVER () FROM unnest(string_to_array(t, NULL)) c
        ) grams WHERE g IS NOT NULL AND strpos(g, ' ') = 0)
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
