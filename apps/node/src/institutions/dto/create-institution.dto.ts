import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { INSTITUTION_KINDS, InstitutionKind } from '@tdx/contracts';
import { IsUnifiedCreditCode } from '../credit-code';

export class CreateInstitutionDto {
  @ApiProperty({ example: '杭州市西湖区市场监督管理局' })
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @ApiProperty({ enum: INSTITUTION_KINDS })
  @IsIn(INSTITUTION_KINDS)
  kind!: InstitutionKind;

  @ApiPropertyOptional({ description: 'GB 32100-2015 unified social credit code', example: '11330106002489123Y' })
  @IsOptional()
  @IsUnifiedCreditCode()
  creditCode?: string;
}
