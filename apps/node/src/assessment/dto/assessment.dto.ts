import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNumber, IsObject, Max, Min, ValidateNested } from 'class-validator';
import type { AssessmentWeights } from '@tdx/contracts';
import { IsDivisionCodeField } from '../../common/id-fields';

function Weight(): PropertyDecorator {
  return (target, key) => {
    ApiProperty({ type: Number, minimum: 0, maximum: 100 })(target, key);
    IsNumber({ allowNaN: false, allowInfinity: false })(target, key);
    Min(0)(target, key);
    Max(100)(target, key);
  };
}

/** One weight per indicator, none other (an unknown indicator is refused by the strict validation). */
export class WeightsDto implements AssessmentWeights {
  @Weight()
  catalogCompleteness!: number;

  @Weight()
  quality!: number;

  @Weight()
  timeliness!: number;

  @Weight()
  sharingResponse!: number;

  @Weight()
  openness!: number;

  @Weight()
  securityEvents!: number;
}

/** A new weight set: every indicator's weight, summing to 1 or to 100. */
export class SetWeightsDto {
  @ApiProperty({ type: WeightsDto })
  @IsObject()
  @ValidateNested()
  @Type(() => WeightsDto)
  weights!: WeightsDto;
}

export class ScorecardQuery {
  @ApiProperty({ type: 'integer', minimum: 2000, maximum: 2100, example: 2026 })
  @Type(() => Number)
  @IsInt()
  @Min(2000)
  @Max(2100)
  year!: number;

  @IsDivisionCodeField({ optional: true, description: "a division in this node's jurisdiction; this node's own by default" })
  within?: string;
}

export class DivisionScorecardQuery {
  @ApiProperty({ type: 'integer', minimum: 2000, maximum: 2100, example: 2026 })
  @Type(() => Number)
  @IsInt()
  @Min(2000)
  @Max(2100)
  year!: number;
}
