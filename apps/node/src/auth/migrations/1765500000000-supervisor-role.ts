import { MigrationInterface, QueryRunner } from 'typeorm';

/** The supervisor role: reads the subtree's supervision figures, never a dataset's rows. */
export class SupervisorRole1765500000000 implements MigrationInterface {
  name = 'SupervisorRole1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE account_role DROP CONSTRAINT account_role_role_check`);
    await q.query(`
      ALTER TABLE account_role ADD CONSTRAINT account_role_role_check
        CHECK (role IN ('province-operator', 'municipal-admin', 'county-operator', 'institution-admin', 'institution-user', 'auditor', 'supervisor'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM account_role WHERE role = 'supervisor'`);
    await q.query(`ALTER TABLE account_role DROP CONSTRAINT account_role_role_check`);
    await q.query(`
      ALTER TABLE account_role ADD CONSTRAINT account_role_role_check
        CHECK (role IN ('province-operator', 'municipal-admin', 'county-operator', 'institution-admin', 'institution-user', 'auditor'))`);
  }
}
