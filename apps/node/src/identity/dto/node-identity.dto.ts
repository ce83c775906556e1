import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';

export const NODE_LIST_STATUSES = ['pending', 'approved', 'rejected', 'revoked'] as const;
export type NodeListStatus = (typeof NODE_LIST_STATUSES)[number];

const PUBLIC_KEY = /^[A-Za-z0-9_-]{43}$/;

export class ListNodesQuery {
  @ApiPropertyOptional({ enum: NODE_LIST_STATUSES })
  @IsOptional()
  @IsIn(NODE_LIST_STATUSES, { message: `status must be one of ${NODE_LIST_STATUSES.join(', ')}` })
  status?: NodeListStatus;
}

export class NodeApprovalDto {
  @ApiPropertyOptional({ description: "the key to approve, when several keys ask to join as this code (see the listing's fingerprints)" })
  @IsOptional()
  @Matches(PUBLIC_KEY, { message: 'publicKey must be an Ed25519 public key: 43 characters of base64url' })
  publicKey?: string;
}

export class NodeDecisionDto {
  @ApiProperty({ description: 'why; recorded with the decision and shown to the node when it asks again' })
  @IsString()
  @Length(1, 2000)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;
}

export class NodeRejectionDto extends NodeDecisionDto {
  @ApiPropertyOptional({ description: 'the key to reject, when several keys ask to join as this code' })
  @IsOptional()
  @Matches(PUBLIC_KEY, { message: 'publicKey must be an Ed25519 public key: 43 characters of base64url' })
  publicKey?: string;
}
