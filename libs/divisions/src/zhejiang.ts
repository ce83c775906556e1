import data from './zhejiang-divisions.json';
import { DivisionLevel, levelOf } from './division-code';

export interface Division {
  code: string;
  name: string;
  nameEn?: string;
  level: DivisionLevel;
  parent?: string;
}

function buildIndex(): ReadonlyMap<string, Division> {
  const index = new Map<string, Division>();
  const province = data.province;
  index.set(province.code, { code: province.code, name: province.name, nameEn: province.nameEn, level: 'province' });
  for (const city of data.cities) {
    index.set(city.code, { code: city.code, name: city.name, nameEn: city.nameEn, level: 'city', parent: province.code });
    for (const county of city.counties) {
      index.set(county.code, { code: county.code, name: county.name, level: levelOf(county.code), parent: city.code });
    }
  }
  for (const neighbour of data.neighbours) {
    index.set(neighbour.code, { code: neighbour.code, name: neighbour.name, nameEn: neighbour.nameEn, level: 'province' });
  }
  return index;
}

/** The divisions of Zhejiang (and its Yangtze River Delta neighbours), read once from the project's copy. */
export const ZHEJIANG_DIVISIONS: ReadonlyMap<string, Division> = buildIndex();

export function findDivision(code: string): Division | undefined {
  return ZHEJIANG_DIVISIONS.get(code);
}

export function countiesOf(cityCode: string): Division[] {
  return [...ZHEJIANG_DIVISIONS.values()].filter((d) => d.parent === cityCode && d.level === 'county');
}
