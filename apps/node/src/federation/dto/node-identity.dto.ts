import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';

export const NODE_STATUSES = ['pending', 'approved', 'rejected', 'revoked'] as const;

export class ListNodesQuery {
  @ApiPropertyOptional({ enum: NODE_STATUSES })
  @IsOptional()
  @IsIn(NODE_STATUSES, { message: `status must be one of ${NODE_STATUSES.join(', ')}` })
  status?: (typeof NODE_STATUSES)[number];
}

export class NodeDecisionDto {
  @ApiProperty({ description: 'why; recorded with the decision and shown to the node when it asks again' })
  @IsString()
  @Length(1, 2000)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;
}
