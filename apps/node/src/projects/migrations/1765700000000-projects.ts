import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The synonym groups a new node starts with: data item names that institutions of the province
 * write differently for one item. Kept here, as they were when the table was created; operators
 * change the table through the API (PUT/POST /api/v1/projects/synonyms), not this list.
 */
export const DEFAULT_SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ['身份证号', '公民身份号码', '居民身份证号码', '身份证号码', '公民身份证号', '身份证件号码'],
  ['统一社会信用代码', '信用代码', '社会信用代码', '统一信用代码'],
  ['手机号', '联系电话', '移动电话', '手机号码', '电话号码'],
  ['姓名', '名字', '人员姓名'],
  ['出生日期', '出生年月日', '生日'],
  ['企业名称', '公司名称', '市场主体名称'],
  ['法定代表人', '法人代表', '法定代表人姓名', '法人姓名'],
  ['家庭住址', '居住地址', '现住址'],
  ['注册地址', '住所', '企业住所', '登记地址'],
  ['注册资本', '注册资金'],
  ['成立日期', '成立时间', '设立日期'],
  ['户籍地址', '户籍所在地', '户口所在地'],
  ['电子邮箱', '电子邮件', '邮箱', 'email'],
  ['邮政编码', '邮编'],
  ['车牌号', '号牌号码', '机动车号牌'],
  ['营业执照号', '营业执照注册号', '注册号'],
  ['社会保障卡号', '社保卡号'],
  ['学历', '文化程度', '受教育程度'],
];

/**
 * Digital project review (Article 12): declarations, their stage reviews (one row per review, the
 * clause decisions with it), and the synonym table the duplicate-collection check reads.
 */
export class Projects1765700000000 implements MigrationInterface {
  name = 'Projects1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE project (
      id uuid PRIMARY KEY,
      institution_id uuid NOT NULL,
      institution_name text NOT NULL,
      name text NOT NULL,
      declaration jsonb NOT NULL,
      declaration_version integer NOT NULL CHECK (declaration_version > 0),
      status text NOT NULL CHECK (status IN ('declared', 'refused', 'approved', 'accepted', 'funded')),
      declared_by text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      row_seq bigserial NOT NULL
    )`);
    await q.query(`CREATE INDEX project_institution ON project (institution_id, row_seq)`);
    await q.query(`CREATE UNIQUE INDEX project_seq ON project (row_seq)`);
    await q.query(`CREATE TABLE project_review (
      id uuid PRIMARY KEY,
      project_id uuid NOT NULL REFERENCES project (id),
      stage text NOT NULL CHECK (stage IN ('approval', 'acceptance', 'operations')),
      decision text NOT NULL CHECK (decision IN ('approve', 'refuse')),
      declaration_version integer NOT NULL,
      clauses jsonb NOT NULL,
      decided_by text NOT NULL,
      decided_at timestamptz NOT NULL,
      row_seq bigserial NOT NULL
    )`);
    await q.query(`CREATE INDEX project_review_project ON project_review (project_id, row_seq)`);
    // A stage is approved once at most: the service checks the order, this holds even if it did not.
    await q.query(`CREATE UNIQUE INDEX project_review_approved_once ON project_review (project_id, stage) WHERE decision = 'approve'`);
    await q.query(`CREATE TABLE project_synonym_group (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      names text[] NOT NULL CHECK (cardinality(names) BETWEEN 2 AND 50),
      position bigserial NOT NULL
    )`);
    for (const names of DEFAULT_SYNONYM_GROUPS) {
      await q.query(`INSERT INTO project_synonym_group (names) VALUES ($1::text[])`, [names]);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS project_synonym_group`);
    await q.query(`DROP TABLE IF EXISTS project_review`);
    await q.query(`DROP TABLE IF EXISTS project`);
  }
}
