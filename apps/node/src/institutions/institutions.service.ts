import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import type { InstitutionState } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DomainRefusal } from '../common/domain-refusal';
import { cursors } from '../common/cursor';
import { Page, pageOf } from '../common/paging';
import { isUniqueViolation } from '../common/unique-violation';
import { OutboxRepository } from '../outbox/outbox.repository';
import { OutboxSignal } from '../outbox/outbox-signal';
import { InstitutionRepository } from './institution.repository';
import type { CreateInstitutionDto } from './dto/create-institution.dto';

@Injectable()
export class InstitutionsService {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly institutions: InstitutionRepository,
    private readonly outbox: OutboxRepository,
    private readonly signal: OutboxSignal,
  ) {}

  async register(dto: CreateInstitutionDto): Promise<InstitutionState> {
    const now = new Date().toISOString();
    const state: InstitutionState = {
      id: randomUUID(),
      origin: this.config.code,
      name: dto.name.trim(),
      kind: dto.kind,
      creditCode: dto.creditCode ?? null,
      status: 'active',
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    await this.dataSource
      .transaction(async (manager) => {
        if (state.creditCode && (await this.institutions.creditCodeTaken(manager, state.origin, state.creditCode))) {
          throw this.creditCodeTaken(state.creditCode);
        }
        await this.institutions.insert(manager, state);
        await this.outbox.appendLocal(manager, 'institution.upsert', state);
      })
      .catch((error: unknown) => {
        // A concurrent registration of the same code won between our check and our insert.
        if (isUniqueViolation(error, 'institution_origin_credit_code')) throw this.creditCodeTaken(state.creditCode);
        throw error;
      });
    this.signal.notify();
    return state;
  }

  private creditCodeTaken(creditCode: string | null): DomainRefusal {
    return DomainRefusal.conflict(`an institution with credit code ${creditCode} is already registered at this node`, 'creditCode');
  }

  async list(filter: { scope: 'local' | 'subtree'; origin?: string; limit: number; cursor?: string }): Promise<Page<InstitutionState>> {
    const origin = filter.scope === 'local' ? this.config.code : filter.origin;
    const { items, lastSeq } = await this.institutions.list(this.dataSource.manager, { origin, afterSeq: cursors.seq(filter.cursor), limit: filter.limit });
    return pageOf(items, filter.limit, lastSeq === null ? undefined : cursors.ofSeq(lastSeq));
  }
}
