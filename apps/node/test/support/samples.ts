/** Sample bodies for registering an institution and a catalog entry at a test node. */

export function sampleInstitution(name = 'Market Regulation Bureau') {
  return { name, kind: 'government' };
}

export function sampleEntry(providerId: string, overrides: Record<string, unknown> = {}) {
  return {
    type: 'data',
    name: 'Enterprise register',
    summary: 'Registered enterprises of the division',
    providerId,
    category: 'market-regulation',
    grade: 'L1',
    shareType: 'unconditional',
    openType: 'unconditional',
    updateCycle: 'daily',
    format: 'csv',
    dataItems: [
      { name: 'uscc', type: 'string', sensitive: false },
      { name: 'legal_person_id', type: 'string', sensitive: true },
    ],
    ...overrides,
  };
}
