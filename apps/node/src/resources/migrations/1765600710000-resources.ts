import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Article 11's management of resources beyond their catalog entries: an application's
 * dependencies (`resource_dependency`), a compute resource's capacity (`compute_capacity`) and its
 * allocations to institutions (`compute_allocation`). All three are this node's own records about
 * its own applications and compute; they do not replicate (the node's `resources` supervision state
 * carries their sums upward). Catalog entries are never deleted (retirement is a new version), so
 * the foreign keys to catalog_entry always hold.
 */
export class Resources1765600710000 implements MigrationInterface {
  name = 'Resources1765600710000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE resource_dependency (
      application_id uuid NOT NULL REFERENCES catalog_entry (id),
      dependency_id uuid NOT NULL REFERENCES catalog_entry (id),
      kind text NOT NULL CHECK (kind IN ('data', 'component')),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (application_id, dependency_id)
    )`);
    // Reuse counts: the applications that depend on one entry.
    await q.query(`CREATE INDEX resource_dependency_dependency ON resource_dependency (dependency_id)`);
    await q.query(`CREATE TABLE compute_capacity (
      entry_id uuid PRIMARY KEY REFERENCES catalog_entry (id),
      vcpu numeric(15, 3) NOT NULL CHECK (vcpu >= 0),
      memory_gib numeric(15, 3) NOT NULL CHECK (memory_gib >= 0),
      storage_tib numeric(15, 3) NOT NULL CHECK (storage_tib >= 0),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE compute_allocation (
      id uuid PRIMARY KEY,
      entry_id uuid NOT NULL REFERENCES compute_capacity (entry_id),
      institution_id uuid NOT NULL,
      vcpu numeric(15, 3) NOT NULL CHECK (vcpu >= 0),
      memory_gib numeric(15, 3) NOT NULL CHECK (memory_gib >= 0),
      storage_tib numeric(15, 3) NOT NULL CHECK (storage_tib >= 0),
      valid_from date NOT NULL,
      valid_to date CHECK (valid_to IS NULL OR valid_to >= valid_from),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX compute_allocation_entry ON compute_allocation (entry_id, valid_from)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE compute_allocation`);
    await q.query(`DROP TABLE compute_capacity`);
    await q.query(`DROP TABLE resource_dependency`);
  }
}
