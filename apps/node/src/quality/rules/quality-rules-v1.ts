import type { QualityRuleSet } from '@tdx/contracts';

/**
 * The rule set a node starts with (version 1 until an operator stores another). docs/quality.md
 * lists these rules and says how each is scored. Which items a value check applies to is said by
 * item type and by words of the item's name, in Chinese and in the English names samples use.
 */
export const QUALITY_RULES_V1: QualityRuleSet = {
  dimensionWeights: { conformance: 20, completeness: 25, validity: 25, uniqueness: 10, timeliness: 20 },
  rules: [
    entry('entry.summary-present', 'entry.summary', 2, '摘要不少于10个字符', 'Summary of at least 10 characters'),
    entry('entry.category-present', 'entry.category', 1, '已填写分类', 'Category given'),
    entry('entry.format-present', 'entry.format', 1, '数据资源已填写格式', 'Data entries name their format', ['data']),
    entry('entry.data-items-typed', 'entry.data-items', 3, '数据资源至少有一个带类型的数据项', 'Data entries declare at least one typed data item', ['data']),
    entry('entry.item-names-distinct', 'entry.item-names-distinct', 1, '数据项名称不重复', 'Data item names are distinct', ['data']),
    entry('entry.update-cycle-set', 'entry.update-cycle', 1, '数据资源有固定更新周期', 'Data entries have a regular update cycle', ['data']),
    entry('entry.share-condition-given', 'entry.share-condition', 2, '有条件共享须写明条件', 'Conditional sharing states its condition'),
    entry('entry.share-none-legal-basis', 'entry.share-legal-basis', 2, '不予共享须有法律依据', 'No sharing cites its legal basis'),
    entry('entry.open-grade-consistent', 'entry.open-grade', 3, '开放属性与分级相符（L4不开放）', 'Opening fits the grade (L4 never open)'),
    {
      id: 'dataset.update-on-time',
      dimension: 'timeliness',
      check: 'dataset.on-time',
      appliesTo: { entryTypes: ['data'] },
      weight: 1,
      description: { zh: '按更新周期及时更新', en: 'Loaded within its update cycle' },
    },
    value(
      'item.required-present',
      'value.present',
      'completeness',
      1,
      { exceptItemNames: ['备注', 'remark', 'note', '可选', 'optional'] },
      '数据项有值',
      'Data items have values',
    ),
    value(
      'item.uscc-check-digit',
      'value.uscc',
      'validity',
      3,
      { itemNames: ['统一社会信用代码', '信用代码', 'uscc', 'credit_code', 'creditcode'] },
      '统一社会信用代码校验位正确（GB 32100-2015）',
      'Unified social credit codes pass their check character (GB 32100-2015)',
    ),
    value(
      'item.resident-id-check-digit',
      'value.resident-id',
      'validity',
      3,
      { itemNames: ['身份证', '公民身份号码', 'resident_id', 'id_number', 'legal_person_id'] },
      '公民身份号码校验位和出生日期正确（GB 11643）',
      'Resident ID numbers pass MOD 11-2 and have a real birth date (GB 11643)',
    ),
    value(
      'item.division-code-known',
      'value.division-code',
      'validity',
      2,
      { itemNames: ['行政区划', '区划代码', 'division_code', 'region_code'] },
      '行政区划代码有效',
      'Division codes are real',
    ),
    value('item.date-valid', 'value.date', 'validity', 1, { itemTypes: ['date'] }, '日期为有效的YYYY-MM-DD', 'Dates are real YYYY-MM-DD days'),
    value('item.datetime-valid', 'value.datetime', 'validity', 1, { itemTypes: ['datetime'] }, '时间为有效的ISO 8601时间', 'Timestamps are valid ISO 8601'),
    value(
      'item.uscc-unique',
      'value.unique',
      'uniqueness',
      1,
      { itemNames: ['统一社会信用代码', '信用代码', 'uscc', 'credit_code', 'creditcode'] },
      '统一社会信用代码不重复',
      'Unified social credit codes are not repeated',
    ),
    value(
      'item.resident-id-unique',
      'value.unique',
      'uniqueness',
      1,
      { itemNames: ['身份证', '公民身份号码', 'resident_id', 'id_number'] },
      '公民身份号码不重复',
      'Resident ID numbers are not repeated',
    ),
  ],
};

function entry(id: string, check: QualityRuleSet['rules'][number]['check'], weight: number, zh: string, en: string, entryTypes?: ['data']) {
  return { id, dimension: 'conformance' as const, check, appliesTo: entryTypes ? { entryTypes } : {}, weight, description: { zh, en } };
}

function value(
  id: string,
  check: QualityRuleSet['rules'][number]['check'],
  dimension: QualityRuleSet['rules'][number]['dimension'],
  weight: number,
  items: { itemNames?: string[]; exceptItemNames?: string[]; itemTypes?: ['date'] | ['datetime'] },
  zh: string,
  en: string,
) {
  return { id, dimension, check, appliesTo: { entryTypes: ['data' as const], ...items }, weight, description: { zh, en } };
}
