import {
  createTestDatabase,
  deleteNamespaceStreams,
  NodeProcess,
  SHARED_NATS_URL,
  TEST_ADMIN_PASSWORD,
  TestDatabase,
  testNamespace,
  waitForTrustList,
} from '@tdx/testing';

/** A province, a city below it and a county below that, each the built node in its own process (serving the built console). */
export interface ThreeTiers {
  province: NodeProcess;
  city: NodeProcess;
  county: NodeProcess;
  databases: TestDatabase[];
  password: string;
  stop(): Promise<void>;
}

export const TIERS = { province: '330000', city: '330100', county: '330106' } as const;

export async function startThreeTiers(label: string, env: Record<string, string> = {}): Promise<ThreeTiers> {
  const namespace = testNamespace();
  const databases: TestDatabase[] = [];
  const nodes: NodeProcess[] = [];
  const start = async (code: string, parentCode?: string) => {
    const db = await createTestDatabase(`${label}_${code}`);
    databases.push(db);
    const node = await NodeProcess.start({ code, parentCode, databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace, env });
    nodes.push(node);
    return node;
  };
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await Promise.all(databases.map((d) => d.drop().catch(() => undefined)));
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace).catch(() => undefined);
  };
  try {
    const province = await start(TIERS.province);
    const city = await start(TIERS.city, TIERS.province);
    const county = await start(TIERS.county, TIERS.city);
    const codes = Object.values(TIERS);
    await Promise.all([province, city, county].map((n) => waitForTrustList(n.url, codes, 60_000)));
    return { province, city, county, databases, password: TEST_ADMIN_PASSWORD, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
