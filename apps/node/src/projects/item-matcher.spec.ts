import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SYNONYM_GROUPS } from './migrations/1765700000000-projects';
import { bigramSimilarity, ItemMatcher, normaliseItemName, PlannedItems } from './item-matcher';

interface LabelledPair {
  planned: string;
  catalog: string;
  duplicate: boolean;
}

const sample = JSON.parse(readFileSync(join(__dirname, 'item-pairs.fixture.json'), 'utf8')) as { pairs: LabelledPair[] };

describe('normaliseItemName', () => {
  it('folds full-width forms, case, punctuation, spaces and bracketed qualifiers', () => {
    expect(normaliseItemName(' Ｅｍａｉｌ ')).toBe('email');
    expect(normaliseItemName('联系电话（手机）')).toBe('联系电话');
    expect(normaliseItemName('建筑面积(平方米)')).toBe('建筑面积');
    expect(normaliseItemName('企业 名称·信息')).toBe('企业名');
    expect(normaliseItemName('legal_person_id')).toBe('legalpersonid');
    // A name that is only a bracketed part keeps it.
    expect(normaliseItemName('（备注）')).toBe('备注');
  });

  it('drops neutral suffixes and shortens 号码 and 名称, never to less than two characters', () => {
    expect(normaliseItemName('企业登记信息数据')).toBe('企业登记');
    expect(normaliseItemName('身份证号码')).toBe('身份证号');
    expect(normaliseItemName('信息')).toBe('信息');
    expect(normaliseItemName('银行帐号')).toBe(normaliseItemName('银行账号'));
    // 名称 and 代码 stay apart: a name is not a code.
    expect(normaliseItemName('机构名称')).not.toBe(normaliseItemName('机构代码'));
  });

  it('computes the Dice coefficient of bigram sets', () => {
    expect(bigramSimilarity('出生日期', '死亡日期')).toBeCloseTo(1 / 3);
    expect(bigramSimilarity('父亲身份证号', '母亲身份证号')).toBeCloseTo(0.8);
    expect(bigramSimilarity('abc', 'abc')).toBe(1);
  });
});

describe('ItemMatcher', () => {
  const matcher = new ItemMatcher(DEFAULT_SYNONYM_GROUPS);

  it('says how two names match', () => {
    expect(matcher.match('身份证号码', '身份证号')).toEqual({ kind: 'exact', score: 1 });
    expect(matcher.match('身份证号', '公民身份号码')).toEqual({ kind: 'synonym', score: 1 });
    expect(matcher.match('联系电话号码', '联系电话')).toMatchObject({ kind: 'similar' });
    expect(matcher.match('出生日期', '死亡日期')).toBeUndefined();
  });

  it('takes synonyms from the table it is given, not from anywhere else', () => {
    expect(new ItemMatcher([]).match('身份证号', '公民身份号码')).toBeUndefined();
    expect(new ItemMatcher([['婚姻状况', '婚姻状态']]).match('婚姻状况', '婚姻状态')).toEqual({ kind: 'synonym', score: 1 });
  });

  it('keeps precision >= 0.95 and recall >= 0.85 on the labelled sample of 90 pairs', () => {
    expect(sample.pairs.length).toBeGreaterThanOrEqual(60);
    let tp = 0;
    let fp = 0;
    let fn = 0;
    const wrong: string[] = [];
    for (const pair of sample.pairs) {
      const found = matcher.match(pair.planned, pair.catalog) !== undefined;
      if (found && pair.duplicate) tp++;
      else if (found) {
        fp++;
        wrong.push(`false match ${pair.planned} ~ ${pair.catalog}`);
      } else if (pair.duplicate) {
        fn++;
        wrong.push(`missed ${pair.planned} ~ ${pair.catalog}`);
      }
    }
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    // The figures docs/projects.md reports.
    process.stdout.write(
      `item matcher on ${sample.pairs.length} pairs: tp ${tp} fp ${fp} fn ${fn} precision ${precision.toFixed(3)} recall ${recall.toFixed(3)}\n${wrong.join('\n')}\n`,
    );
    expect(precision).toBeGreaterThanOrEqual(0.95);
    expect(recall).toBeGreaterThanOrEqual(0.85);
  });

  it('finds through the planned-items index exactly what the pairwise comparison finds', () => {
    const planned = [...new Set(sample.pairs.map((p) => p.planned))];
    const existing = [...new Set(sample.pairs.map((p) => p.catalog)), ...DEFAULT_SYNONYM_GROUPS.flat()];
    const index = new PlannedItems(matcher, planned);
    const viaIndex = existing.flatMap((e) => index.matches(e).map(({ index: i, match }) => `${planned[i]}|${e}|${match.kind}`)).sort();
    const pairwise = existing
      .flatMap((e) =>
        planned.flatMap((p) => {
          const match = matcher.match(p, e);
          return match ? [`${p}|${e}|${match.kind}`] : [];
        }),
      )
      .sort();
    expect(pairwise.length).toBeGreaterThan(50);
    expect(viaIndex).toEqual(pairwise);
  });
});
