import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { AREA_CATALOGUES, CATALOGUES } from './catalogues';

const SRC = join(__dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && name !== 'generated.ts' ? [path] : [];
  });
}

/** Attributes a user reads or hears: their literal text must come from the catalogues too. */
const READ_ATTRIBUTES = new Set(['aria-label', 'title', 'placeholder', 'alt', 'label', 'header', 'caption', 'confirmLabel', 'message']);

/** Every piece of text written straight into JSX (text between tags, or a read attribute's string). */
function literalTexts(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node) && /[\p{L}\p{N}]/u.test(node.text)) found.push(node.text.trim());
    if (
      ts.isJsxAttribute(node) &&
      READ_ATTRIBUTES.has(node.name.getText()) &&
      node.initializer &&
      ts.isStringLiteral(node.initializer) &&
      /\p{L}/u.test(node.initializer.text)
    ) {
      found.push(`${node.name.getText()}="${node.initializer.text}"`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.map((text) => `${relative(SRC, file)}: ${text}`);
}

describe('message catalogues', () => {
  it('hold the same keys in Chinese and English, none empty', () => {
    const zh = Object.keys(CATALOGUES['zh-CN']).sort();
    const en = Object.keys(CATALOGUES.en).sort();
    expect(en).toEqual(zh);
    const empty = Object.entries({ ...CATALOGUES['zh-CN'] }).filter(([key, text]) => !text.trim() || !CATALOGUES.en[key as keyof typeof CATALOGUES.en].trim());
    expect(empty).toEqual([]);
  });

  it('give each key to one area only', () => {
    const seen = new Map<string, number>();
    AREA_CATALOGUES.forEach((area) => Object.keys(area['zh-CN']).forEach((key) => seen.set(key, (seen.get(key) ?? 0) + 1)));
    expect([...seen].filter(([, n]) => n > 1).map(([key]) => key)).toEqual([]);
  });

  it('use the same {placeholders} in both languages', () => {
    const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    const differing = Object.keys(CATALOGUES['zh-CN']).filter((key) => {
      const k = key as keyof typeof CATALOGUES.en;
      return JSON.stringify(names(CATALOGUES['zh-CN'][k])) !== JSON.stringify(names(CATALOGUES.en[k]));
    });
    expect(differing).toEqual([]);
  });

  it('have every key the source asks for with t()', () => {
    const asked = sources(SRC).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([\w.-]+)'/g)].map((m) => ({ file: relative(SRC, file), key: m[1] })),
    );
    expect(asked.length).toBeGreaterThan(10);
    expect(asked.filter(({ key }) => !(key in CATALOGUES['zh-CN']))).toEqual([]);
  });

  it('leave no text written straight into the pages', () => {
    expect(sources(SRC).flatMap(literalTexts)).toEqual([]);
  });
});
