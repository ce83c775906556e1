import type { MessageKey } from '../../i18n/i18n';

/** The key of a state's name (the catalogue holds every state the API can send). */
export function returnStateKey(state: string): MessageKey {
  return `returns.state.${state}` as MessageKey;
}
