import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `assessment_weight_set`: every weight set of the annual assessment (Article 5) an operator set at
 * this node, never changed or removed, so that a scorecard names the version it was computed with
 * and anyone can see which weights were in force. The newest version governs.
 */
export class AssessmentWeights1765600720000 implements MigrationInterface {
  name = 'AssessmentWeights1765600720000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE assessment_weight_set (
      version integer PRIMARY KEY CHECK (version > 0),
      weights jsonb NOT NULL,
      set_by text NOT NULL,
      set_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE assessment_weight_set`);
  }
}
