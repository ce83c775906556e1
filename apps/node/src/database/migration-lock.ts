import type { DataSource } from 'typeorm';

/**
 * The advisory lock key under which a node migrates its database. Advisory locks belong to one
 * database, so nodes sharing a PostgreSQL server never wait for each other's migrations.
 */
export const MIGRATION_LOCK = 7_628_920_000;

/**
 * Runs the pending migrations with the database's advisory lock held, so that replicas of one node
 * starting at once migrate one after the other: the first applies them, the others then find none
 * pending. (Unlocked, two would run the same migration and one would fail on the tables the other
 * made.) The lock is session-level and taken on a connection of its own, held apart from the pool
 * for the whole run, so that the unlock happens on the very session that locked.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock($1)`, [MIGRATION_LOCK]);
    try {
      await dataSource.runMigrations();
    } finally {
      await runner.query(`SELECT pg_advisory_unlock($1)`, [MIGRATION_LOCK]).catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}
