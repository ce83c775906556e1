import { ACCESS_ALERTS_MAX, type AccessStateData, accessStateData } from './access';
import { supervisionStateProblem } from './index';

const valid: AccessStateData = {
  period: { from: '2026-11-06T00:00:00.000Z', to: '2026-12-06T00:00:00.000Z' },
  volumes: {
    returns: 1,
    shareQueries: 0,
    shareDeliveries: 0,
    rows: 5,
    institutions: [],
    counterparts: [{ node: '330106', returns: 1, shareQueries: 0, shareDeliveries: 0, rows: 5 }],
  },
  refused: 0,
  refusedByClass: [],
  decisions: { answered: 1, overdue: 0, medianHoursToDecide: 2.5 },
  grantsExpiringSoon: 0,
  securityEvents: 0,
  securityEventsByKind: { rejectedMessages: 0, refusedSignIns: 0, forbidden: 0 },
  alerts: [],
  links: [{ code: '330106', health: 'healthy', lagSeconds: 0.4, backlog: 0 }],
};

describe('the access topic schema', () => {
  it('takes a well-formed state, inside a supervision state too', () => {
    expect(accessStateData(valid, 'data')).toBeUndefined();
    const state = { origin: '330100', topic: 'access', key: 'node', version: 1, computedAt: '2026-12-06T00:00:00.000Z', data: valid };
    expect(supervisionStateProblem(state)).toBeUndefined();
  });

  it.each([
    ['an unknown field', { ...valid, extra: 1 }, 'data has an unknown field "extra"'],
    ['a negative count', { ...valid, refused: -1 }, 'data.refused must be an integer'],
    ['a period backwards', { ...valid, period: { from: valid.period.to, to: valid.period.from } }, 'data.period: from must not be after to'],
    ['an unknown alert kind', { ...valid, alerts: [{ kind: 'boredom', subject: 'node:330106', message: 'x' }] }, 'data.alerts.0.kind must be one of'],
    ['an alert about anything', { ...valid, alerts: [{ kind: 'security-events', subject: 'drop table', message: 'x' }] }, 'data.alerts.0.subject must be'],
    [
      'too many alerts',
      { ...valid, alerts: Array.from({ length: ACCESS_ALERTS_MAX + 1 }, () => ({ kind: 'security-events', subject: 'node:330106', message: 'x' })) },
      'data.alerts must be an array of at most 50 items',
    ],
    [
      'a median that is no number',
      { ...valid, decisions: { ...valid.decisions, medianHoursToDecide: 'soon' } },
      'data.decisions.medianHoursToDecide must be a number',
    ],
    [
      'a counterpart that is no division',
      { ...valid, volumes: { ...valid.volumes, counterparts: [{ ...valid.volumes.counterparts[0], node: 'x' }] } },
      'must be a division code',
    ],
  ])('refuses %s', (_what, data, problem) => {
    expect(accessStateData(data, 'data')).toContain(problem);
  });
});
