import type { NodeInfoView } from '@tdx/contracts';
import type { CommandSpec } from '../command';
import { type Context, emit } from '../context';

/** `tdx node`: who am I talking to. */
export async function nodeCommand(ctx: Context): Promise<void> {
  const info = await ctx.client.json<NodeInfoView>('GET', '/api/v1/node');
  emit(ctx, info, () => {
    const parent = info.parent
      ? `${info.parent.code}${info.parent.name ? ` ${info.parent.name}` : ''}${info.parent.link ? (info.parent.link.joined ? ' (joined)' : ' (not joined)') : ''}`
      : '(none: the province)';
    const children = (info.children ?? []).map((c) => `${c.code}${c.name ? ` ${c.name}` : ''}${c.lastError ? ` (last error: ${c.lastError})` : ''}`);
    return [
      `node      ${info.code}${info.name ? ` ${info.name}` : ''} (${info.level})`,
      `url       ${ctx.client.base}`,
      `parent    ${parent}`,
      `children  ${children.length ? children.join(', ') : '(none)'}`,
      `key       ${info.publicKey}`,
    ];
  });
}

export const nodeCommands: CommandSpec[] = [
  { name: 'node', args: [], options: {}, summary: 'show the node this command talks to (code, name, level, parent, children)', run: (ctx) => nodeCommand(ctx) },
];
