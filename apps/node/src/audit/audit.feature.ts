import type { Provider, Type } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { MigrationInterface } from 'typeorm';
import { AuditController } from './audit.controller';
import { AuditLog } from './audit-log.service';
import { AuditAnchor } from './audit-anchor.service';
import { AnonymousRefusals } from './anonymous-refusals';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { ExchangeAudit } from './exchange-audit.service';
import { AuditInterceptor, HttpAuditTrail } from './http-audit-trail';
import { AuditLog1764400500000 } from './migrations/1764400500000-audit-log';
import { AuditPrune1764400600000 } from './migrations/1764400600000-audit-prune';

/**
 * The hash-chained audit log: what this feature adds to a node. Besides these, create-node-app.ts
 * puts recordUnhandledRequests in front of every other middleware.
 */
export const auditFeature: {
  controllers: Type<unknown>[];
  providers: Provider[];
  migrations: Type<MigrationInterface>[];
} = {
  controllers: [AuditController],
  providers: [AuditRepository, AuditLog, AuditService, AuditAnchor, ExchangeAudit, AnonymousRefusals, HttpAuditTrail, { provide: APP_INTERCEPTOR, useClass: AuditInterceptor }],
  migrations: [AuditLog1764400500000, AuditPrune1764400600000],
};
