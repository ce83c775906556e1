import { ScriptError } from './local-federation.mjs';

/**
 * `--name value` options of a script, each named in `defaults` (which also gives its type: a
 * number there takes whole numbers only). `strings` lists options taken as they are; `positive`
 * those that must be above 0.
 */
export function parseOptions(argv, defaults, { strings = [], positive = [] } = {}) {
  const result = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !(name in defaults)) {
      throw new ScriptError(
        `unknown option ${argv[i]}; options: ${Object.keys(defaults)
          .map((k) => `--${k}`)
          .join(' ')}`,
      );
    }
    const raw = argv[++i];
    if (raw === undefined) throw new ScriptError(`--${name} needs a value`);
    if (strings.includes(name)) {
      result[name] = raw;
      continue;
    }
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || (positive.includes(name) && value === 0)) {
      throw new ScriptError(`--${name} needs a ${positive.includes(name) ? 'positive ' : ''}whole number`);
    }
    result[name] = value;
  }
  return result;
}
