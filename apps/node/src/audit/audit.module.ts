import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditController } from './audit.controller';
import { AuditLog } from './audit-log.service';
import { AuditAnchor } from './audit-anchor.service';
import { AnonymousRefusals } from './anonymous-refusals';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { ExchangeAudit } from './exchange-audit.service';
import { AuditInterceptor, HttpAuditTrail } from './http-audit-trail';

/**
 * The hash-chained audit log: every operator action (the interceptor, and recordUnhandledRequests,
 * which create-node-app.ts puts in front of every other middleware) and every exchange with another node.
 */
@Module({
  controllers: [AuditController],
  providers: [
    AuditRepository,
    AuditLog,
    AuditService,
    AuditAnchor,
    ExchangeAudit,
    AnonymousRefusals,
    HttpAuditTrail,
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
  ],
  exports: [AuditLog, ExchangeAudit, HttpAuditTrail],
})
export class AuditModule {}
