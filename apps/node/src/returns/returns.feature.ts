import type { Provider, Type } from '@nestjs/common';
import type { MigrationInterface } from 'typeorm';
import { Returns1764300001000 } from './migrations/1764300001000-returns';
import { ReturnedRowsParallelWrites1764310001000 } from './migrations/1764310001000-returned-rows-parallel-writes';
import { MaskingInSql1764330001000 } from './migrations/1764330001000-masking-in-sql';
import { ReturnedRowRequestDefault1764330002000 } from './migrations/1764330002000-returned-row-request-default';
import { RegionMoves1764330003000 } from './migrations/1764330003000-region-moves';
import { MaskedAtRest1764330004000 } from './migrations/1764330004000-masked-at-rest';
import { ReturnsController } from './returns.controller';
import { ReturnsRepository } from './returns.repository';
import { ReturnsService } from './returns.service';
import { ReturnHolderService } from './return-holder.service';
import { ReturnTransferService } from './return-transfer.service';
import { ReturnWire } from './return-wire';
import { ReturnedRowsWriter } from './returned-rows.writer';

/** Return of data downward (Article 9): what this feature adds to a node. */
export const returnsFeature: { controllers: Type<unknown>[]; providers: Provider[]; migrations: Type<MigrationInterface>[] } = {
  controllers: [ReturnsController],
  providers: [ReturnsRepository, ReturnWire, ReturnHolderService, ReturnTransferService, ReturnedRowsWriter, ReturnsService],
  migrations: [Returns1764300001000, ReturnedRowsParallelWrites1764310001000, MaskingInSql1764330001000, ReturnedRowRequestDefault1764330002000, RegionMoves1764330003000, MaskedAtRest1764330004000],
};
