import type { DataSourceOptions } from 'typeorm';
import { DATABASE_POOL_SIZE } from '../config/pool-size';
import { InitialSchema1764230000000 } from './migrations/1764230000000-initial-schema';
import { NodeIdentity1764320000000 } from '../identity/migrations/1764320000000-node-identity';
import { KeyRotation1764320001000 } from '../identity/migrations/1764320001000-key-rotation';
import { ApprovalChain1764500000000 } from '../identity/migrations/1764500000000-approval-chain';
import { RejectedMessageBounded1764510300000 } from '../federation/migrations/1764510300000-rejected-message-bounded';
import { datasetsFeature } from '../datasets/datasets.feature';
import { returnsFeature } from '../returns/returns.feature';
import { authFeature } from '../auth/auth.feature';
import { auditFeature } from '../audit/audit.feature';

/** One node's database; schema only by reviewed migrations, never `synchronize`. */
export function databaseOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    synchronize: false,
    migrationsRun: true,
    // Each feature brings its own migrations; TypeORM runs them in timestamp order.
    migrations: [InitialSchema1764230000000, NodeIdentity1764320000000, KeyRotation1764320001000, ApprovalChain1764500000000, RejectedMessageBounded1764510300000, ...datasetsFeature.migrations, ...returnsFeature.migrations, ...auditFeature.migrations, ...authFeature.migrations],
    entities: [],
    extra: { max: DATABASE_POOL_SIZE, application_name: 'tdx-node' },
  };
}
