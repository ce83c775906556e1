#!/usr/bin/env node
// `npm run demo`: a five-node federation on the local PostgreSQL and NATS, with sample
// institutions and catalog entries at every tier, watched until the province agrees.
//
//   npm run demo                 build, start, load, show, run until Ctrl-C
//   npm run demo -- --once       the same, then stop the nodes and exit (DEMO_ONCE=1 too)
//   npm run demo -- --reset      drop the demo databases, keys, passwords and streams first (DEMO_RESET=1 too)
//
// Environment: DEMO_BASE_PORT (3000; nodes use 5 ports from it), DEMO_PG_URL
// (postgres://postgres@localhost:5432/postgres), DEMO_NATS_URL (nats://127.0.0.1:4222).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  api,
  approveAndAwaitJoins,
  databaseUrl,
  deleteNamespaceStreams,
  generatePassword,
  KitError,
  localNode,
  portIsFree,
  preflight,
  ROOT,
  ScriptError,
  shown,
  sleep,
  table,
  withPg,
} from './lib/local-federation.mjs';
import { DATASET_ENTRIES, DATASET_INSTITUTIONS, loadSampleRows, SAMPLE_REGIONS } from './demo-rows.mjs';

const args = process.argv.slice(2);
const ONCE = args.includes('--once') || process.env.DEMO_ONCE === '1';
const RESET = args.includes('--reset') || process.env.DEMO_RESET === '1';
const BASE_PORT = Number(process.env.DEMO_BASE_PORT ?? 3000);
const PG_ADMIN_URL = process.env.DEMO_PG_URL ?? 'postgres://postgres@localhost:5432/postgres';
const NATS_URL = process.env.DEMO_NATS_URL ?? 'nats://127.0.0.1:4222';
const NAMESPACE = 'demo';
const DEMO_DIR = join(ROOT, '.tdx/demo');
const AGREEMENT_TIMEOUT_MS = 60_000;

/** The tree, parents before children. */
const TOPOLOGY = [
  { code: '330000', parent: undefined },
  { code: '330100', parent: '330000' },
  { code: '330200', parent: '330000' },
  { code: '330106', parent: '330100' },
  { code: '330212', parent: '330200' },
];

// GB 32100-2015 unified social credit codes: registration authority and type ("11" a government
// body, "12" a public institution, "91" an enterprise), the division, an organisation code, and
// the mod-31 check character. The organisation codes here are made up but stable across runs.
const CREDIT_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
function creditCode(prefix, division, seed) {
  const digest = createHash('sha256').update(seed).digest();
  const org = [...digest.subarray(0, 9)].map((b) => String(b % 10)).join('');
  const body = `${prefix}${division}${org}`;
  const sum = [...body].reduce((acc, c, i) => acc + CREDIT_WEIGHTS[i] * CREDIT_ALPHABET.indexOf(c), 0);
  return body + CREDIT_ALPHABET[(31 - (sum % 31)) % 31];
}

const item = (name, type, sensitive = false) => ({ name, type, sensitive });

/**
 * Sample data per node. Institution keys are local to the node; an entry's `provider` names one.
 * Every entry obeys the rules: L4 only prohibited, L2/L3 never unconditionally opened,
 * conditional sharing states its condition, no sharing states its legal basis.
 */
const SAMPLE = {
  330000: {
    institutions: {
      data: { name: '浙江省数据局', kind: 'government', prefix: '11' },
      market: { name: '浙江省市场监督管理局', kind: 'government', prefix: '11' },
      tax: { name: '国家税务总局浙江省税务局', kind: 'state-department', prefix: '11' },
      ...DATASET_INSTITUTIONS,
    },
    entries: [
      {
        code: '330000-SW-D001',
        provider: 'tax',
        type: 'data',
        name: '浙江省纳税信用A级纳税人名单',
        summary: '年度纳税信用评价为A级的纳税人名单，按年度向社会公开。',
        category: '税务',
        grade: 'L1',
        shareType: 'unconditional',
        openType: 'unconditional',
        updateCycle: 'yearly',
        format: 'xlsx',
        dataItems: [item('纳税人识别号', 'string'), item('纳税人名称', 'string'), item('评价年度', 'integer')],
      },
      {
        code: '330000-SCJG-D001',
        provider: 'market',
        type: 'data',
        name: '浙江省严重违法失信企业名单',
        summary: '列入严重违法失信名单的企业及其列入事由、决定机关。',
        category: '市场监管',
        grade: 'L1',
        shareType: 'unconditional',
        openType: 'unconditional',
        updateCycle: 'monthly',
        format: 'json',
        dataItems: [item('统一社会信用代码', 'string'), item('企业名称', 'string'), item('列入事由', 'string'), item('列入日期', 'date')],
      },
      {
        code: '330000-SJJ-C001',
        provider: 'data',
        type: 'component',
        name: '浙江省统一身份认证组件',
        summary: '为政务应用提供自然人、法人统一身份认证与单点登录能力。',
        category: '公共支撑',
        grade: 'L2',
        shareType: 'conditional',
        shareCondition: '限政务应用接入，须经省数据局审批并签订安全协议',
        openType: 'restricted',
        updateCycle: 'irregular',
        format: 'API',
      },
      {
        code: '330000-SJJ-P001',
        provider: 'data',
        type: 'compute',
        name: '浙江省一体化智能化公共数据平台算力资源池',
        summary: '省级政务云通用计算与存储资源，按项目分配配额。',
        category: '算力资源',
        grade: 'L1',
        shareType: 'conditional',
        shareCondition: '按数字化项目申请配额，经省数据局审核后分配',
        openType: 'prohibited',
        updateCycle: 'irregular',
      },
    ],
  },
  330100: {
    institutions: {
      data: { name: '杭州市数据资源管理局', kind: 'government', prefix: '11' },
      market: { name: '杭州市市场监督管理局', kind: 'government', prefix: '11' },
      water: { name: '杭州市水务集团有限公司', kind: 'public-service', prefix: '91' },
      tax: { name: '国家税务总局杭州市税务局', kind: 'state-department', prefix: '11' },
    },
    entries: [
      {
        code: '330100-SW-D001',
        provider: 'water',
        type: 'data',
        name: '杭州市居民户表用水量',
        summary: '供水户号的月度抄表用水量，用于供水保障、阶梯水价与减免核定。',
        category: '城市供水',
        grade: 'L3',
        shareType: 'conditional',
        shareCondition: '仅用于供水保障与水费减免核定，须经市数据资源管理局审批',
        openType: 'restricted',
        updateCycle: 'monthly',
        format: 'csv',
        dataItems: [
          item('户号', 'string'),
          item('用户姓名', 'string', true),
          item('联系电话', 'string', true),
          item('月用水量', 'decimal'),
          item('抄表日期', 'date'),
        ],
      },
      {
        code: '330100-SCJG-D001',
        provider: 'market',
        type: 'data',
        name: '杭州市食品生产许可信息',
        summary: '食品生产许可证的发证、变更与注销信息。',
        category: '市场监管',
        grade: 'L1',
        shareType: 'unconditional',
        openType: 'unconditional',
        updateCycle: 'daily',
        format: 'json',
        dataItems: [item('许可证编号', 'string'), item('生产者名称', 'string'), item('食品类别', 'string'), item('有效期至', 'date')],
      },
      {
        code: '330100-SW-A001',
        provider: 'tax',
        type: 'application',
        name: '杭州市电子发票查验应用',
        summary: '面向纳税人和社会公众的电子发票真伪查验服务。',
        category: '税务',
        grade: 'L1',
        shareType: 'unconditional',
        openType: 'unconditional',
        updateCycle: 'realtime',
        format: 'web',
      },
      {
        code: '330100-SJ-P001',
        provider: 'data',
        type: 'compute',
        name: '杭州城市大脑政务云算力资源',
        summary: '市级政务云的计算、存储与图形处理资源。',
        category: '算力资源',
        grade: 'L1',
        shareType: 'conditional',
        shareCondition: '市级部门按项目申请，经市数据资源管理局审核',
        openType: 'prohibited',
        updateCycle: 'irregular',
      },
    ],
  },
  330106: {
    institutions: {
      market: { name: '杭州市西湖区市场监督管理局', kind: 'government', prefix: '11' },
      tax: { name: '国家税务总局杭州市西湖区税务局', kind: 'state-department', prefix: '11' },
      health: { name: '杭州市西湖区卫生健康局', kind: 'government', prefix: '11' },
    },
    entries: [
      {
        code: '330106-SCJG-D001',
        provider: 'market',
        type: 'data',
        name: '西湖区市场主体登记信息',
        summary: '辖区内企业、个体工商户的设立、变更、注销登记信息。',
        category: '市场监管',
        grade: 'L2',
        shareType: 'conditional',
        shareCondition: '用于市场监管与政务服务，不得用于商业目的',
        openType: 'restricted',
        updateCycle: 'daily',
        format: 'csv',
        dataItems: [
          item('统一社会信用代码', 'string'),
          item('企业名称', 'string'),
          item('法定代表人', 'string', true),
          item('法定代表人证件号码', 'string', true),
          item('成立日期', 'date'),
        ],
      },
      {
        code: '330106-SW-D001',
        provider: 'tax',
        type: 'data',
        name: '西湖区欠税公告信息',
        summary: '依法公告的欠缴税款纳税人及欠税金额。',
        category: '税务',
        grade: 'L1',
        shareType: 'unconditional',
        openType: 'unconditional',
        updateCycle: 'quarterly',
        format: 'xlsx',
        dataItems: [item('纳税人识别号', 'string'), item('纳税人名称', 'string'), item('欠税税种', 'string'), item('欠税余额', 'decimal')],
      },
      {
        code: '330106-WJ-D001',
        provider: 'health',
        type: 'data',
        name: '西湖区居民电子健康档案',
        summary: '辖区常住居民的电子健康档案，含既往病史与诊疗记录。',
        category: '卫生健康',
        grade: 'L4',
        shareType: 'none',
        legalBasis: '《中华人民共和国基本医疗卫生与健康促进法》第九十二条；《中华人民共和国个人信息保护法》第二十八条',
        openType: 'prohibited',
        updateCycle: 'realtime',
        format: 'HL7 FHIR',
        dataItems: [item('姓名', 'string', true), item('身份证号', 'string', true), item('既往病史', 'string', true), item('建档日期', 'date')],
      },
      {
        code: '330106-SCJG-D002',
        provider: 'market',
        type: 'data',
        name: '西湖区食品经营许可证信息',
        summary: '食品经营许可证的核发与变更信息。',
        category: '市场监管',
        grade: 'L1',
        shareType: 'unconditional',
        openType: 'unconditional',
        updateCycle: 'daily',
        format: 'json',
        dataItems: [item('许可证编号', 'string'), item('经营者名称', 'string'), item('经营场所', 'string'), item('有效期至', 'date')],
      },
      {
        code: '330106-SCJG-D003',
        provider: 'market',
        type: 'data',
        name: '西湖区2019年度个体工商户年报汇总',
        summary: '2019年度个体工商户年度报告的汇总数据，已由新版年报数据集替代。',
        category: '市场监管',
        grade: 'L1',
        shareType: 'unconditional',
        openType: 'unconditional',
        updateCycle: 'yearly',
        format: 'csv',
        dataItems: [item('统计年度', 'integer'), item('报送户数', 'integer'), item('未报送户数', 'integer')],
      },
    ],
  },
  330200: {
    institutions: {
      power: { name: '国网浙江省电力有限公司宁波供电公司', kind: 'public-service', prefix: '91' },
      market: { name: '宁波市市场监督管理局', kind: 'government', prefix: '11' },
    },
    entries: [
      {
        code: '330200-GD-D001',
        provider: 'power',
        type: 'data',
        name: '宁波市企业月度用电量',
        summary: '规模以上企业按月的用电量，用于经济运行监测。',
        category: '能源',
        grade: 'L2',
        shareType: 'conditional',
        shareCondition: '仅用于经济运行监测，按月汇总使用，不得对外提供户级明细',
        openType: 'restricted',
        updateCycle: 'monthly',
        format: 'csv',
        dataItems: [item('用电户号', 'string'), item('企业名称', 'string'), item('所属行业', 'string'), item('月用电量', 'decimal')],
      },
      {
        code: '330200-SCJG-A001',
        provider: 'market',
        type: 'application',
        name: '宁波市企业开办“一件事”应用',
        summary: '企业设立登记、印章刻制、申领发票、社保登记一次办结。',
        category: '政务服务',
        grade: 'L1',
        shareType: 'unconditional',
        openType: 'unconditional',
        updateCycle: 'realtime',
        format: 'web',
      },
    ],
  },
  330212: {
    institutions: {
      transport: { name: '宁波市鄞州区交通运输局', kind: 'government', prefix: '11' },
      tax: { name: '国家税务总局宁波市鄞州区税务局', kind: 'state-department', prefix: '11' },
      market: { name: '宁波市鄞州区市场监督管理局', kind: 'government', prefix: '11' },
    },
    entries: [
      {
        code: '330212-JT-D001',
        provider: 'transport',
        type: 'data',
        name: '鄞州区公交线路及站点信息',
        summary: '公交线路、站点名称及站点坐标。',
        category: '交通运输',
        grade: 'L1',
        shareType: 'unconditional',
        openType: 'unconditional',
        updateCycle: 'weekly',
        format: 'geojson',
        dataItems: [item('线路编号', 'string'), item('线路名称', 'string'), item('站点名称', 'string'), item('经度', 'decimal'), item('纬度', 'decimal')],
      },
      {
        code: '330212-SW-D001',
        provider: 'tax',
        type: 'data',
        name: '鄞州区企业纳税明细',
        summary: '企业分税种的申报与缴纳明细。',
        category: '税务',
        grade: 'L4',
        shareType: 'none',
        legalBasis: '《中华人民共和国税收征收管理法》第八条（纳税人信息保密）',
        openType: 'prohibited',
        updateCycle: 'monthly',
        format: 'csv',
        dataItems: [item('纳税人识别号', 'string'), item('税种', 'string'), item('应纳税额', 'decimal', true), item('缴款日期', 'date')],
      },
      {
        code: '330212-SCJG-C001',
        provider: 'market',
        type: 'component',
        name: '鄞州区电子营业执照核验组件',
        summary: '核验电子营业执照真伪与状态的接口组件。',
        category: '公共支撑',
        grade: 'L2',
        shareType: 'conditional',
        shareCondition: '政务应用经区数据主管部门审批后接入',
        openType: 'restricted',
        updateCycle: 'irregular',
        format: 'API',
      },
    ],
  },
};

// The province's entries with sample rows (scripts/demo-rows.mjs), ready for a return downward.
SAMPLE['330000'].entries.push(...DATASET_ENTRIES.map((d) => d.entry));

// The county changes shown travelling up: a new version of one entry, and the retirement of another.
const UPDATE_AT = { node: '330106', code: '330106-SCJG-D002' };
const RETIRE_AT = { node: '330106', code: '330106-SCJG-D003' };

const nodes = new Map();
let stopping = false;

function log(message = '') {
  process.stdout.write(`${message}\n`);
}

function ancestorsOf(code) {
  const result = [];
  for (let at = TOPOLOGY.find((n) => n.code === code)?.parent; at; at = TOPOLOGY.find((n) => n.code === at).parent) result.push(at);
  return result;
}

async function ensureDatabases() {
  await withPg(PG_ADMIN_URL, async (client) => {
    for (const { code } of TOPOLOGY) {
      const name = `tdx_demo_${code}`;
      if (RESET) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount === 0) {
        await client.query(`CREATE DATABASE ${name}`);
        log(`  created database ${name}`);
      } else {
        log(`  reusing database ${name}`);
      }
    }
  });
}

/**
 * The password of a node's `admin`: random, made on the node's first demo run and kept (0600) for
 * the runs after it, whose databases already hold the account.
 */
function adminPasswordOf(code) {
  const file = passwordFile(code);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(join(DEMO_DIR, 'passwords'), { recursive: true, mode: 0o700 });
  const password = generatePassword();
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function passwordFile(code) {
  return join(DEMO_DIR, 'passwords', code);
}

/** --reset: the demo's keys, passwords and its namespace's streams go with its databases. */
async function resetBroker() {
  rmSync(join(DEMO_DIR, 'keys'), { recursive: true, force: true });
  rmSync(join(DEMO_DIR, 'passwords'), { recursive: true, force: true });
  await deleteNamespaceStreams(NATS_URL, NAMESPACE);
}

async function startNodes() {
  for (const [index, { code }] of TOPOLOGY.entries()) {
    const port = BASE_PORT + index;
    if (!(await portIsFree(port))) {
      throw new ScriptError(
        `port ${port} (for node ${code}) is in use — is a demo already running? ` +
          `Stop it, or choose other ports with DEMO_BASE_PORT=<port> (the demo uses ${BASE_PORT}..${BASE_PORT + TOPOLOGY.length - 1}).`,
      );
    }
  }
  mkdirSync(join(DEMO_DIR, 'keys'), { recursive: true, mode: 0o700 });
  // Tier by tier: a child's first join then finds its parent listening.
  for (const tier of [['330000'], ['330100', '330200'], ['330106', '330212']]) {
    const started = tier.map((code) => {
      const index = TOPOLOGY.findIndex((n) => n.code === code);
      const node = localNode({
        code,
        parentCode: TOPOLOGY[index].parent,
        port: BASE_PORT + index,
        databaseUrl: databaseUrl(PG_ADMIN_URL, `tdx_demo_${code}`),
        natsUrl: NATS_URL,
        namespace: NAMESPACE,
        adminPassword: adminPasswordOf(code),
        keyFile: join(DEMO_DIR, 'keys', `node-${code}.pem`),
        logFile: join(DEMO_DIR, 'logs', `${code}.log`),
      }).launch();
      nodes.set(code, node);
      void node.exited.then((info) => {
        if (!stopping) log(`!! node ${code} exited unexpectedly (${JSON.stringify(info)}); see ${shown(node.logFile)}`);
      });
      return node;
    });
    await Promise.all(started.map((n) => n.waitHealthy()));
    log(`  up: ${tier.map((c) => `${c} ${nodes.get(c).url}`).join(', ')}`);
  }
  // Each join waits for the operator at the parent: approve them, as an operator would.
  await approveAndAwaitJoins(nodes);
}

async function listAll(base, path) {
  const items = [];
  let cursor;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const { body } = await api(base, 'GET', `${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return items;
}

/** Registers what is not there yet; a re-run finds the previous run's data and reuses it. */
async function loadSampleData() {
  const entriesByCode = new Map();
  const created = { institutions: 0, entries: 0 };
  const reused = { institutions: 0, entries: 0 };
  for (const { code } of TOPOLOGY) {
    const { url } = nodes.get(code);
    const sample = SAMPLE[code];
    const existing = await listAll(url, '/api/v1/institutions?scope=local');
    const providerIds = {};
    for (const [key, inst] of Object.entries(sample.institutions)) {
      const credit = creditCode(inst.prefix, code, inst.name);
      const found = existing.find((i) => i.creditCode === credit);
      if (found) {
        providerIds[key] = found.id;
        reused.institutions++;
      } else {
        const { body } = await api(url, 'POST', '/api/v1/institutions', { name: inst.name, kind: inst.kind, creditCode: credit });
        providerIds[key] = body.id;
        created.institutions++;
      }
    }
    const have = new Map((await listAll(url, '/api/v1/catalog/entries?scope=local&status=all')).map((e) => [e.code, e]));
    const missing = sample.entries.filter((e) => !have.has(e.code));
    reused.entries += sample.entries.length - missing.length;
    if (missing.length > 0) {
      // One all-or-nothing upload per node.
      const { body } = await api(url, 'POST', '/api/v1/catalog/entries/bulk', {
        entries: missing.map(({ provider, ...fields }) => ({ ...fields, providerId: providerIds[provider] })),
      });
      body.items.forEach((e) => have.set(e.code, e));
      created.entries += body.count;
    }
    for (const [entryCode, entry] of have) entriesByCode.set(`${code}/${entryCode}`, entry);
    entriesByCode.set(`${code}/#providers`, providerIds);
  }
  log(
    `  institutions: ${created.institutions} registered, ${reused.institutions} already there; ` +
      `entries: ${created.entries} registered, ${reused.entries} already there`,
  );
  return entriesByCode;
}

/** A new version of one county entry, and a retirement (of a fresh entry when a previous run already retired the sample one). */
async function changeAtCounty(entriesByCode) {
  const county = nodes.get(UPDATE_AT.node);
  const target = entriesByCode.get(`${UPDATE_AT.node}/${UPDATE_AT.code}`);
  const { body: updated } = await api(county.url, 'PATCH', `/api/v1/catalog/entries/${target.id}`, {
    summary: `食品经营许可证的核发与变更信息。最近一次核验：${new Date().toISOString().slice(0, 19).replace('T', ' ')} UTC`,
  });
  log(`  updated  ${updated.code} ${updated.name}: now version ${updated.version}`);

  let toRetire = entriesByCode.get(`${RETIRE_AT.node}/${RETIRE_AT.code}`);
  if (toRetire.status === 'retired') {
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const providers = entriesByCode.get(`${RETIRE_AT.node}/#providers`);
    ({ body: toRetire } = await api(nodes.get(RETIRE_AT.node).url, 'POST', '/api/v1/catalog/entries', {
      code: `${RETIRE_AT.node}-TMP-${stamp}`,
      type: 'data',
      name: `西湖区临时导入核对数据集（${stamp}）`,
      summary: '一次性导入核对用的临时数据集，核对完成后即退役。',
      providerId: providers.market,
      category: '市场监管',
      grade: 'L1',
      shareType: 'unconditional',
      openType: 'unconditional',
      updateCycle: 'irregular',
      format: 'csv',
      dataItems: [item('批次号', 'string'), item('核对结果', 'string')],
    }));
    log(`  registered ${toRetire.code} ${toRetire.name} (the sample entry to retire was retired by an earlier run)`);
  }
  const { body: retired } = await api(nodes.get(RETIRE_AT.node).url, 'DELETE', `/api/v1/catalog/entries/${toRetire.id}`);
  log(`  retired  ${retired.code} ${retired.name}: version ${retired.version}, status ${retired.status}`);
  return { updated, retired };
}

/** Per origin: its own digest, and what each ancestor and the province's subtree listing hold of it. */
async function snapshot() {
  const digests = new Map();
  await Promise.all(
    TOPOLOGY.map(async ({ code }) => {
      const { body } = await api(nodes.get(code).url, 'GET', '/api/v1/federation/digest');
      digests.set(code, new Map(body.origins.map((o) => [o.origin, o])));
    }),
  );
  const listing = await listAll(nodes.get('330000').url, '/api/v1/catalog/entries?scope=subtree&status=all');
  const listed = new Map();
  for (const e of listing) listed.set(e.origin, (listed.get(e.origin) ?? 0) + 1);
  const rows = TOPOLOGY.map(({ code }) => {
    const own = digests.get(code).get(code) ?? { count: 0, active: 0, digest: 'empty' };
    const held = Object.fromEntries(ancestorsOf(code).map((a) => [a, digests.get(a).get(code) ?? { count: 0, active: 0, digest: 'empty' }]));
    const agrees =
      Object.values(held).every((h) => h.digest === own.digest && h.count === own.count) && (code === '330000' || (listed.get(code) ?? 0) === own.count);
    return { code, own, held, listed: listed.get(code) ?? 0, agrees };
  });
  return { rows, agreed: rows.every((r) => r.agrees) };
}

async function waitForAgreement(since) {
  const deadline = Date.now() + AGREEMENT_TIMEOUT_MS;
  for (;;) {
    const snap = await snapshot();
    if (snap.agreed) return { snap, ms: Date.now() - since };
    if (Date.now() > deadline) return { snap, ms: null };
    await sleep(100);
  }
}

function agreementTable({ rows }, names) {
  const levelOf = (code) => (code.endsWith('0000') ? 'province' : code.endsWith('00') ? 'city' : 'county');
  const cell = (r, tier) => {
    if (levelOf(r.code) === tier) return `${r.own.count} (${r.own.active} active)`;
    const holder = Object.keys(r.held).find((a) => levelOf(a) === tier);
    return holder ? `${r.held[holder].count} (${r.held[holder].active} active)` : '';
  };
  return table(
    ['origin', 'name', 'at county', 'at city', 'at province', 'province listing', 'digests'],
    rows.map((r) => [
      r.code,
      names.get(r.code),
      cell(r, 'county'),
      cell(r, 'city'),
      cell(r, 'province'),
      r.listed,
      r.agrees ? `agree (${r.own.digest.slice(0, 12)})` : 'DIFFER',
    ]),
  );
}

/** The commands that try a return at once: Xihu asks the province for its rows of the sample datasets. */
function returnInstructions(entriesByCode) {
  const county = nodes.get('330106').url;
  const province = nodes.get('330000').url;
  const [plain, l2, l3] = DATASET_ENTRIES.map(({ entry }) => entriesByCode.get(`330000/${entry.code}`));
  const tdx = (node, command) => `  npm run --silent tdx -- --node ${node} ${command}`;
  return [
    '\ntry a return (Article 9): 西湖区 330106 asks the province for its own rows, masked by grade',
    tdx(county, `login --username admin < ${shown(passwordFile('330106'))}`),
    tdx(county, `return request --entry ${l2.id} --holder 330000 --scope self --purpose "基层治理：辖区流动人口服务"`),
    `    (${l2.code}, ${l2.grade}, shared unconditionally: granted at once; names, ID and phone numbers come back partly masked)`,
    tdx(county, 'return list --direction outgoing'),
    tdx(county, 'return jobs REQUEST_ID'),
    tdx(county, 'return rows REQUEST_ID --limit 5'),
    `  the same for ${plain.code} (${plain.grade}) with --entry ${plain.id}; a conditional one (${l3.code}, ${l3.grade}) waits for the province:`,
    tdx(county, `return request --entry ${l3.id} --holder 330000 --scope self --purpose "公共卫生监测"`),
    tdx(province, `login --username admin < ${shown(passwordFile('330000'))}`),
    tdx(province, 'return list --direction incoming --state pending'),
    tdx(province, 'return approve REQUEST_ID --note "监测用途已核实"'),
    `  a city asks for all its counties with --scope subtree (宁波市 ${nodes.get('330200').url}, password in ${shown(passwordFile('330200'))})`,
  ].join('\n');
}

async function stopAll() {
  stopping = true;
  const running = [...nodes.values()].filter((n) => n.running);
  if (running.length === 0) return;
  log(`stopping ${running.length} node(s) ...`);
  // Children first, so none is left relaying to a parent that is already gone.
  for (const tier of [['330106', '330212'], ['330100', '330200'], ['330000']]) {
    await Promise.all(tier.map((c) => nodes.get(c)?.stop()));
  }
  log('all nodes stopped');
}

async function main() {
  log(`tdx demo: five nodes on ${PG_ADMIN_URL.replace(/\/[^/]*$/, '')} and ${NATS_URL}, NATS namespace "${NAMESPACE}"`);
  await preflight({ pgAdminUrl: PG_ADMIN_URL, natsUrl: NATS_URL });
  if (RESET) {
    log('  --reset: dropping the demo databases, keys and streams');
    await resetBroker();
  }
  await ensureDatabases();
  log(`  node logs: ${shown(join(DEMO_DIR, 'logs'))}/<code>.log; keys: ${shown(join(DEMO_DIR, 'keys'))}/`);
  await startNodes();
  const names = new Map();
  for (const { code } of TOPOLOGY) names.set(code, (await api(nodes.get(code).url, 'GET', '/api/v1/node')).body.name);
  log(`  all five nodes healthy and joined`);

  log('\nloading sample institutions and catalog entries at every tier');
  const started = Date.now();
  const entriesByCode = await loadSampleData();
  log('\nloading sample dataset rows at the province, for returns to try');
  for (const { entry } of DATASET_ENTRIES) {
    const loaded = await loadSampleRows(nodes.get('330000').url, entriesByCode.get(`330000/${entry.code}`));
    log(
      `  ${entry.code} ${entry.name} (${entry.grade}, ${entry.shareType}): ${loaded.rowsRead} rows read, ` +
        `${loaded.inserted} inserted, ${loaded.unchanged} unchanged; regions ${SAMPLE_REGIONS.join(' ')}`,
    );
  }
  log('\nchanging entries at the county');
  const { updated, retired } = await changeAtCounty(entriesByCode);
  const lastWrite = Date.now();

  log('\nwaiting for every tier to agree (federation digests and the province subtree listing) ...');
  const { snap, ms } = await waitForAgreement(lastWrite);
  log(agreementTable(snap, names));
  if (ms === null) {
    throw new ScriptError(`the tiers did not agree within ${AGREEMENT_TIMEOUT_MS / 1000} s; see /api/v1/federation/status on each node and the logs`);
  }
  const province = nodes.get('330000').url;
  const atProvince = async (id) => (await api(province, 'GET', `/api/v1/catalog/entries/${id}`)).body;
  const [u, r] = [await atProvince(updated.id), await atProvince(retired.id)];
  log(`\nat the province: ${u.code} is at version ${u.version} (origin ${u.origin}); ${r.code} is ${r.status} (version ${r.version})`);
  log(`all tiers agreed ${ms} ms after the last change at the county (${lastWrite - started} ms to write the sample data)`);

  log('\nnodes (API documentation at <url>/api/docs):');
  log(
    table(
      ['code', 'name', 'level', 'parent', 'url', 'api docs', 'log'],
      TOPOLOGY.map(({ code, parent }) => {
        const node = nodes.get(code);
        return [
          code,
          names.get(code),
          code.endsWith('0000') ? 'province' : code.endsWith('00') ? 'city' : 'county',
          parent ?? '',
          node.url,
          `${node.url}/api/docs`,
          shown(node.logFile),
        ];
      }),
    ),
  );
  log(`\nsign in as each node's administrator "admin"; its random password is in ${shown(join(DEMO_DIR, 'passwords'))}/<code> (readable by you only):`);
  log(`  npx tdx login --node ${nodes.get('330000').url} --username admin < ${shown(passwordFile('330000'))}`);
  log(`  npx tdx whoami --node ${nodes.get('330000').url}`);
  log(`  curl -s -X POST ${nodes.get('330000').url}/api/v1/auth/login -H 'content-type: application/json' -d '{"username":"admin","password":"..."}'`);
  log(`the public sees open data without signing in: ${nodes.get('330000').url}/api/v1/open/catalog`);
  log(returnInstructions(entriesByCode));

  if (ONCE) {
    await stopAll();
    return;
  }
  log('\nthe federation is running; press Ctrl-C to stop it');
  await new Promise((resolveForever) => {
    const watcher = setInterval(() => {
      if ([...nodes.values()].every((n) => !n.running)) {
        clearInterval(watcher);
        resolveForever();
      }
    }, 1000);
  });
  if (!stopping) throw new ScriptError('every node has exited; see the logs');
}

let signalled = 0;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    signalled++;
    if (signalled > 1) {
      log('second signal: killing the nodes');
      for (const n of nodes.values()) if (n.running) n.child.kill('SIGKILL');
      process.exit(130);
    }
    void stopAll().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
// Should the script die some other way, do not leave the nodes (in their own process groups) behind.
process.on('exit', () => {
  for (const n of nodes.values()) n.killNow();
});

main().then(
  () => process.exit(0),
  async (error) => {
    process.stderr.write(`\ndemo failed: ${error instanceof KitError ? error.message : error.stack}\n`);
    await stopAll().catch(() => undefined);
    process.exit(1);
  },
);
