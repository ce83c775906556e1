/** Reads a password: at a terminal without echo, else the first line of standard input (for scripts). */
export function readSecret(prompt: string, stdin: NodeJS.ReadStream = process.stdin, err: NodeJS.WriteStream = process.stderr): Promise<string> {
  return stdin.isTTY ? readFromTerminal(prompt, stdin, err) : readFirstLine(stdin);
}

function readFirstLine(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => {
      stdin.off('data', onData);
      stdin.pause();
      resolve(text.split(/\r?\n/)[0]);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) done();
    };
    stdin.on('data', onData);
    stdin.once('end', done);
    stdin.once('error', reject);
  });
}

function readFromTerminal(prompt: string, stdin: NodeJS.ReadStream, err: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve) => {
    err.write(prompt);
    let text = '';
    stdin.setRawMode(true);
    stdin.resume();
    const finish = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      err.write('\n');
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(text);
          return;
        }
        if (ch === '\u0003') {
          // Ctrl-C: nothing was sent; stop as a shell expects.
          finish();
          process.exit(130);
        }
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * Reads several secrets in turn: at a terminal each at its own prompt without echo, else one line
 * of standard input each (for scripts: `printf '%s\n%s\n' "$old" "$new" | tdx password`).
 */
export async function readSecrets(prompts: string[], stdin: NodeJS.ReadStream = process.stdin, err: NodeJS.WriteStream = process.stderr): Promise<string[]> {
  if (stdin.isTTY) {
    const answers: string[] = [];
    for (const prompt of prompts) answers.push(await readFromTerminal(prompt, stdin, err));
    return answers;
  }
  const lines = await readLines(stdin, prompts.length);
  return prompts.map((_, i) => lines[i] ?? '');
}

function readLines(stdin: NodeJS.ReadStream, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => {
      stdin.off('data', onData);
      stdin.pause();
      resolve(text.split(/\r?\n/).slice(0, count));
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.split('\n').length > count) done();
    };
    stdin.on('data', onData);
    stdin.once('end', done);
    stdin.once('error', reject);
  });
}
