import { parseCommandLine } from './args';
import { UsageError } from './errors';

const env = {};
function run(line: string, e: Record<string, string> = env) {
  const parsed = parseCommandLine(line.split(' ').filter(Boolean), e);
  if (parsed.kind !== 'run') throw new Error('expected a command');
  return parsed.invocation;
}
function usageError(line: string): string {
  try {
    parseCommandLine(line.split(' ').filter(Boolean), env);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`"${line}" parsed`);
}

describe('parseCommandLine', () => {
  it('parses data load with its file, entry and format, and the node from --node anywhere', () => {
    expect(run('--node http://n:3001 data load rows.csv --entry e1 --format ndjson')).toEqual({
      command: 'data load',
      args: { FILE: 'rows.csv' },
      options: { entry: 'e1', format: 'ndjson' },
      nodeUrl: 'http://n:3001',
      json: false,
    });
    expect(run('data load rows.csv --entry e1 --json --node http://n:3001').json).toBe(true);
  });

  it('takes the node from TDX_NODE_URL, else localhost:3000', () => {
    expect(run('node', { TDX_NODE_URL: 'http://county:4000' }).nodeUrl).toBe('http://county:4000');
    expect(run('node').nodeUrl).toBe('http://localhost:3000');
    expect(run('node --node http://a:1', { TDX_NODE_URL: 'http://b:2' }).nodeUrl).toBe('http://a:1');
  });

  it('parses the return commands', () => {
    expect(run('return request --entry e --holder 330000 --scope subtree --purpose audit')).toMatchObject({
      command: 'return request',
      options: { entry: 'e', holder: '330000', scope: 'subtree', purpose: 'audit' },
    });
    expect(run('return approve r1 --note ok')).toMatchObject({ command: 'return approve', args: { ID: 'r1' }, options: { note: 'ok' } });
    expect(run('return reject r1 --reason no')).toMatchObject({ command: 'return reject', args: { ID: 'r1' }, options: { reason: 'no' } });
    expect(run('return list --direction incoming --state pending')).toMatchObject({ options: { direction: 'incoming', state: 'pending' } });
    expect(run('return sync r1 --watch')).toMatchObject({ command: 'return sync', args: { REQUEST_ID: 'r1' }, options: { watch: true } });
    expect(run('return jobs r1')).toMatchObject({ command: 'return jobs', args: { REQUEST_ID: 'r1' } });
    expect(run('return watch j1 --interval 0.5')).toMatchObject({ command: 'return watch', args: { JOB: 'j1' }, options: { interval: '0.5' } });
  });

  it('refuses bad command lines with a message that names the fault', () => {
    expect(usageError('')).toBe('no command given');
    expect(usageError('frobnicate')).toBe('unknown command "frobnicate"');
    expect(usageError('return')).toMatch(/subcommand is missing: tdx return request\|approve/);
    expect(usageError('return nope')).toMatch(/unknown subcommand "nope"/);
    expect(usageError('data load rows.csv')).toBe('--entry is required');
    expect(usageError('data load --entry e')).toBe('missing FILE');
    expect(usageError('data load a.csv b.csv --entry e')).toBe('unexpected argument "b.csv"');
    expect(usageError('data load a.csv --entry e --format xml')).toBe('--format must be one of csv, ndjson (got "xml")');
    expect(usageError('data load a.csv --entry e --bogus')).toMatch(/Unknown option '--bogus'/);
    expect(usageError('return approve r1 --reason x')).toMatch(/Unknown option '--reason'/);
    expect(usageError('return request --entry e --holder 330000 --purpose p --scope all')).toMatch(/--scope must be one of self, subtree/);
    expect(usageError('return reject r1')).toBe('--reason is required');
    expect(usageError('node --node ftp://x')).toMatch(/not an http\(s\) URL \(from --node\)/);
  });

  it('answers help at every level', () => {
    const top = parseCommandLine(['--help'], env);
    expect(top.kind === 'help' && top.text).toMatch(/exit codes: 0 ok; 1 refused/);
    const group = parseCommandLine(['help', 'return'], env);
    expect(group.kind === 'help' && group.text).toMatch(/usage: tdx return watch JOB/);
    const one = parseCommandLine(['data', 'load', '-h'], env);
    expect(one.kind === 'help' && one.text).toMatch(/^usage: tdx data load FILE --entry ID\|CODE \[options\]/);
  });

  it('checks values before any request: entry ids and codes, division codes, limits, enumerations', () => {
    expect(usageError('data load f.csv --entry a b')).toMatch(/unexpected argument "b"/);
    expect(usageError('data load f.csv --entry has space')).toMatch(/unexpected argument/);
    expect(usageError('data load f.csv --entry @!')).toBe('"@!" is neither an entry\'s UUID nor a resource code');
    expect(run('data load f.csv --entry 330106-D-000001').options.entry).toBe('330106-D-000001');
    expect(usageError('return request --entry e --holder 33 --purpose p')).toBe('--holder must be a six-digit division code (got "33")');
    expect(usageError('catalog list --limit 501')).toBe('--limit must be a whole number from 1 to 500 (got "501")');
    expect(usageError('catalog register --grade L5')).toMatch(/--grade must be one of L1, L2, L3, L4/);
    expect(usageError('catalog register --items name:text')).toMatch(/--items: "name:text" is not NAME:TYPE/);
    expect(usageError('account create --username A --roles county-operator')).toMatch(/--username must be 3 to 64/);
    expect(usageError('federation approve 3301')).toBe('CODE must be a six-digit division code (got "3301")');
    expect(usageError('federation reject 330100')).toBe('--reason is required');
    expect(run('catalog edit E-1 --share-type conditional --share-condition x').options).toMatchObject({ 'share-type': 'conditional', 'share-condition': 'x' });
  });
});
