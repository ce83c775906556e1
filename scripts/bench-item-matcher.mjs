#!/usr/bin/env node
// `node scripts/bench-item-matcher.mjs` (after `npm run build`): how long Article 12 (d)'s matching
// of a project's planned data items takes against the item names of a province-sized catalog, in
// memory (the database pages read by a review come on top). Random names of 3-8 characters drawn
// from the characters of real item names, a fixed seed, the default synonym table.
//
//   --items N     catalog item names (default 1,000,000)
//   --planned N   planned items (default 100)
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');
const { ItemMatcher, PlannedItems } = require(join(root, 'apps/node/dist/projects/item-matcher.js'));
const { DEFAULT_SYNONYM_GROUPS } = require(join(root, 'apps/node/dist/projects/migrations/1765700000000-projects.js'));

const { values } = parseArgs({ options: { items: { type: 'string', default: '1000000' }, planned: { type: 'string', default: '100' } } });
const chars = '企业名称代码身份证号码出生日期地址电话信用统一社会法定代表人注册资本经营范围登记机关户籍婚姻学历车辆房屋面积金额项目编号时间类型状态';
let seed = 7;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const word = () => Array.from({ length: 3 + Math.floor(random() * 6) }, () => chars[Math.floor(random() * chars.length)]).join('');

const planned = new PlannedItems(new ItemMatcher(DEFAULT_SYNONYM_GROUPS), Array.from({ length: Number(values.planned) }, word));
const names = Array.from({ length: Number(values.items) }, word);
const started = process.hrtime.bigint();
let matches = 0;
for (const name of names) matches += planned.matches(name).length;
const ms = Number(process.hrtime.bigint() - started) / 1e6;
console.log(`${names.length} catalog items against ${values.planned} planned items: ${ms.toFixed(0)} ms, ${matches} matches`);
