import type { CommandSpec } from '../command';
import { accountCommands } from './accounts';
import { auditCommands } from './audit';
import { authCommands } from './auth';
import { catalogCommands } from './catalog';
import { dataCommands } from './data-load';
import { federationCommands } from './federation';
import { institutionCommands } from './institutions';
import { nodeCommands } from './node';
import { openCommands } from './open';
import { projectCommands } from './projects';
import { resourceCommands } from './resources';
import { returnCommands } from './returns';
import { searchCommands } from './search';
import { shareCommands } from './share';
import { supervisionCommands } from './supervision';
import { supervisionStateCommands } from './supervision-states';

/** Every command of `tdx`, group by group, in the order `tdx --help` lists them. */
export const COMMANDS: CommandSpec[] = [
  ...authCommands,
  ...nodeCommands,
  ...institutionCommands,
  ...catalogCommands,
  ...resourceCommands,
  ...searchCommands,
  ...dataCommands,
  ...returnCommands,
  ...shareCommands,
  ...openCommands,
  ...projectCommands,
  ...accountCommands,
  ...federationCommands,
  ...auditCommands,
  ...supervisionStateCommands,
  ...supervisionCommands,
];
