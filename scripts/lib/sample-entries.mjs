/** Data items of a market-registration dataset; `short` keeps the four a benchmark of many entries needs. */
const ITEMS = [
  { name: '统一社会信用代码', type: 'string', sensitive: false },
  { name: '企业名称', type: 'string', sensitive: false },
  { name: '法定代表人', type: 'string', sensitive: true },
  { name: '法定代表人证件号码', type: 'string', sensitive: true },
  { name: '注册资本', type: 'decimal', sensitive: false },
  { name: '成立日期', type: 'date', sensitive: false },
];
const SHORT = new Set(['统一社会信用代码', '企业名称', '法定代表人', '注册资本']);

/**
 * A realistic catalog entry of the benchmarks: a district's market-registration data, batch `i`
 * (with every item its signed envelope is about 1.5 KB).
 */
export function marketEntry(districtName, providerId, i, { items = 'full' } = {}) {
  return {
    type: 'data',
    name: `${districtName}市场主体登记信息 第${i}批`,
    summary: '辖区内企业、个体工商户的设立、变更、注销登记信息，每日更新，供市场监管与政务服务使用。',
    providerId,
    category: '市场监管',
    grade: 'L2',
    shareType: 'conditional',
    shareCondition: '用于市场监管与政务服务，不得用于商业目的',
    openType: 'restricted',
    updateCycle: 'daily',
    format: 'csv',
    dataItems: items === 'short' ? ITEMS.filter((item) => SHORT.has(item.name)) : ITEMS,
  };
}
