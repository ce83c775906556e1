// Sample dataset rows for `npm run demo`: three `data` entries held at the province, with rows in
// the region codes of several counties of Hangzhou and Ningbo and sensitive items at grades L1, L2
// and L3, so that a county or city of the demo can ask for a return at once and see its own rows
// come back masked by grade. The rows are made up, from a seeded generator: the same on every run,
// so a re-run's load changes nothing.
import { authHeaders } from '@tdx/testing';

const item = (name, type, sensitive = false) => ({ name, type, sensitive });

/** Where the rows live: counties of both demo cities, the demo counties 330106 and 330212 among them. */
export const SAMPLE_REGIONS = ['330102', '330105', '330106', '330108', '330110', '330203', '330205', '330212'];

/** Institutions at the province that provide the datasets (keys local to the demo's sample). */
export const DATASET_INSTITUTIONS = {
  police: { name: '浙江省公安厅', kind: 'government', prefix: '11' },
  health: { name: '浙江省卫生健康委员会', kind: 'government', prefix: '11' },
};

/** The entries, in the demo's sample form (`provider` names an institution), with how many rows each gets. */
export const DATASET_ENTRIES = [
  {
    rows: 1800,
    entry: {
      code: '330000-SCJG-D002',
      provider: 'market',
      type: 'data',
      name: '浙江省市场主体登记基本信息',
      summary: '市场主体的登记基本信息，含法定代表人，按住所地行政区划归属。',
      category: '市场监管',
      grade: 'L1',
      shareType: 'unconditional',
      openType: 'unconditional',
      updateCycle: 'daily',
      format: 'csv',
      dataItems: [
        item('统一社会信用代码', 'string'),
        item('企业名称', 'string'),
        item('法定代表人', 'string', true),
        item('注册资本', 'decimal'),
        item('成立日期', 'date'),
      ],
    },
  },
  {
    rows: 2400,
    entry: {
      code: '330000-GA-D001',
      provider: 'police',
      type: 'data',
      name: '浙江省流动人口居住登记信息',
      summary: '流动人口居住登记与居住证办理信息，按居住地行政区划归属，供基层治理使用。',
      category: '公共安全',
      grade: 'L2',
      shareType: 'unconditional',
      openType: 'prohibited',
      updateCycle: 'daily',
      format: 'csv',
      dataItems: [
        item('姓名', 'string', true),
        item('公民身份号码', 'string', true),
        item('手机号码', 'string', true),
        item('居住地址', 'string'),
        item('登记日期', 'date'),
        item('出生年份', 'integer', true),
      ],
    },
  },
  {
    rows: 1200,
    entry: {
      code: '330000-WJW-D001',
      provider: 'health',
      type: 'data',
      name: '浙江省基层医疗卫生机构门诊记录',
      summary: '社区卫生服务中心与乡镇卫生院的门诊记录，按机构所在地行政区划归属。',
      category: '卫生健康',
      grade: 'L3',
      shareType: 'conditional',
      shareCondition: '限县级以上卫生健康部门用于公共卫生监测，须经省卫生健康委审批',
      openType: 'prohibited',
      updateCycle: 'daily',
      format: 'csv',
      dataItems: [
        item('患者姓名', 'string', true),
        item('诊断名称', 'string', true),
        item('就诊日期', 'date'),
        item('医疗费用', 'decimal', true),
        item('机构名称', 'string'),
      ],
    },
  },
];

/** mulberry32: a small seeded generator, so the sample is the same on every run. */
function generator(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), pick: (list) => list[Math.floor(next() * list.length)] };
}

const SURNAMES = [
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢钟姜崔谭陆汪范金石廖贾夏韦方邹熊白孟秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤',
];
const GIVEN = [...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力永健春梅林宇浩然思远欣怡子涵雨轩嘉琪一诺'];
const STREETS = ['文三路', '天目山路', '教工路', '学院路', '江南大道', '中山西路', '天童南路', '钱湖北路', '解放路', '延安路'];
const DIAGNOSES = ['急性上呼吸道感染', '高血压', '2型糖尿病', '慢性胃炎', '腰椎间盘突出症', '过敏性鼻炎', '支气管炎', '高脂血症'];
const CLINICS = ['社区卫生服务中心', '街道社区卫生服务站', '镇卫生院'];
const CREDIT_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

function creditCode(region, r) {
  const body = `91${region}${Array.from({ length: 9 }, () => r.int(0, 9)).join('')}`;
  const sum = [...body].reduce((acc, c, i) => acc + CREDIT_WEIGHTS[i] * CREDIT_ALPHABET.indexOf(c), 0);
  return body + CREDIT_ALPHABET[(31 - (sum % 31)) % 31];
}

/** A resident identity number of GB 11643 shape with a valid check character (made up, never a real person's). */
function idNumber(region, year, r) {
  const body = `${region}${year}${String(r.int(1, 12)).padStart(2, '0')}${String(r.int(1, 28)).padStart(2, '0')}${String(r.int(0, 999)).padStart(3, '0')}`;
  const sum = [...body].reduce((acc, c, i) => acc + ID_WEIGHTS[i] * Number(c), 0);
  return body + '10X98765432'[sum % 11];
}

const person = (r) => r.pick(SURNAMES) + r.pick(GIVEN) + (r.int(0, 1) ? r.pick(GIVEN) : '');
const day = (r, from) => `${r.int(from, 2026)}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`;

/** One row's values, in the entry's data item order, for row number `n`. */
const MAKERS = {
  '330000-SCJG-D002': (region, n, r) => [
    creditCode(region, r),
    `${r.pick(['杭州', '宁波'])}${r.pick(['青禾', '云帆', '海纳', '恒通', '新禾', '远航'])}${r.pick(['科技', '贸易', '餐饮', '物流'])}有限公司${n}`,
    person(r),
    `${r.int(10, 5000)}.${String(r.int(0, 99)).padStart(2, '0')}`,
    day(r, 1995),
  ],
  '330000-GA-D001': (region, n, r) => {
    const year = r.int(1955, 2005);
    return [
      person(r),
      idNumber(region, year, r),
      `1${r.pick(['3', '5', '7', '8', '9'])}${String(r.int(0, 999999999)).padStart(9, '0')}`,
      `${r.pick(STREETS)}${r.int(1, 999)}号${r.int(1, 30)}幢${r.int(101, 2802)}室`,
      day(r, 2020),
      String(year),
    ];
  },
  '330000-WJW-D001': (region, n, r) => [
    person(r),
    r.pick(DIAGNOSES),
    day(r, 2025),
    `${r.int(15, 900)}.${String(r.int(0, 99)).padStart(2, '0')}`,
    `${r.pick(CLINICS)}${(n % 7) + 1}号`,
  ],
};

function csvField(value) {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The CSV the demo loads into entry `code` (as sent to POST /api/v1/datasets/:entryId/rows), and its rows per region. */
export function sampleRows(code) {
  const { entry, rows } = DATASET_ENTRIES.find((d) => d.entry.code === code);
  const r = generator([...code].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261));
  const lines = [['row_key', 'region_code', ...entry.dataItems.map((i) => i.name)].join(',')];
  const perRegion = {};
  for (let n = 1; n <= rows; n++) {
    const region = SAMPLE_REGIONS[n % SAMPLE_REGIONS.length];
    perRegion[region] = (perRegion[region] ?? 0) + 1;
    lines.push([`${code}-${String(n).padStart(6, '0')}`, region, ...MAKERS[code](region, n, r)].map(csvField).join(','));
  }
  return { csv: `${lines.join('\n')}\n`, perRegion };
}

/** Loads the sample rows of `entry` (registered at `url`) in one upload; a re-run's upload finds them unchanged. */
export async function loadSampleRows(url, entry) {
  const { csv } = sampleRows(entry.code);
  const response = await fetch(`${url}/api/v1/datasets/${entry.id}/rows`, {
    method: 'POST',
    headers: { ...(await authHeaders(url)), 'content-type': 'text/csv; charset=utf-8' },
    body: csv,
  });
  const body = await response.json().catch(() => ({}));
  if (response.status !== 200) throw new Error(`loading the rows of ${entry.code} answered ${response.status}: ${JSON.stringify(body).slice(0, 500)}`);
  return body;
}
