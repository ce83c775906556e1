import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  CRYPTO_ASSESSMENT_RESULTS,
  DATA_ITEM_TYPES,
  ENTRY_TYPES,
  GRADES,
  NETWORK_KINDS,
  PROJECT_STAGES,
  PROJECT_STATUSES,
  RESOURCE_USES,
  type CryptoAssessmentResult,
  type DataItemType,
  type EntryType,
  type Grade,
  type NetworkKind,
  type ProjectDeclaration,
  type ProjectStage,
  type ProjectStatus,
  type ResourceUse,
} from '@tdx/contracts';
import { IsDivisionCodeField, IsUuidField } from '../../common/id-fields';
import { EachObject } from '../../common/validation';
import { PageQuery } from '../../common/page.query';

/*
 * A declaration is strict: every part must be present (a list may be empty where the project has
 * none), so that a missing part is a 400 naming it, never a clause failing for want of it. A
 * reference the project lacks (no consent, no filing number) is given as null, and the clauses
 * judge it.
 */

const NOT_BLANK = /\S/;
/** Present, and either null or a non-blank reference of up to 200 characters. */
function NullableRef(description: string): PropertyDecorator {
  return (target, key) => {
    ApiProperty({ type: String, nullable: true, description })(target, key);
    // Checked unless null: an absent field is refused as "must be a string".
    ValidateIf((_o, value) => value !== null)(target, key);
    IsString()(target, key);
    Length(1, 200)(target, key);
    Matches(NOT_BLANK, { message: `${String(key)} must not be blank` })(target, key);
  };
}

class FundsDto {
  @ApiProperty({ description: 'amount in yuan', example: 1200000 })
  @IsInt()
  @Min(1)
  @Max(1e13)
  amountYuan!: number;

  @ApiProperty({ example: '省级财政资金' })
  @IsString()
  @Length(1, 200)
  @Matches(NOT_BLANK, { message: 'source must not be blank' })
  source!: string;
}

class SystemDto {
  @ApiProperty({ example: '城市运行监测系统' })
  @IsString()
  @Length(1, 200)
  @Matches(NOT_BLANK, { message: 'name must not be blank' })
  name!: string;

  @ApiProperty({ description: 'built outside the public data platform' })
  @IsBoolean()
  outsidePlatform!: boolean;

  @NullableRef("the designated department's consent (a document reference), or null")
  consentRef!: string | null;

  @NullableRef("the system's application entry in the catalog (its id or resource code), or null while not registered")
  catalogEntry!: string | null;
}

class NetworkDto {
  @ApiProperty({ example: '应急指挥专网' })
  @IsString()
  @Length(1, 200)
  @Matches(NOT_BLANK, { message: 'name must not be blank' })
  name!: string;

  @ApiProperty({ enum: NETWORK_KINDS })
  @IsIn(NETWORK_KINDS)
  kind!: NetworkKind;

  @NullableRef("the designated department's consent (a document reference), or null")
  consentRef!: string | null;
}

class PlannedItemDto {
  @ApiProperty({ example: '公民身份号码' })
  @IsString()
  @Length(1, 100)
  @Matches(NOT_BLANK, { message: 'name must not be blank' })
  name!: string;

  @ApiProperty({ enum: DATA_ITEM_TYPES })
  @IsIn(DATA_ITEM_TYPES)
  type!: DataItemType;

  @ApiProperty()
  @IsBoolean()
  sensitive!: boolean;
}

class ResourceDto {
  @ApiProperty({ description: "a catalog entry's id or resource code", example: '330106-A-000012' })
  @IsString()
  @Length(1, 64)
  @Matches(NOT_BLANK, { message: 'ref must not be blank' })
  ref!: string;

  @ApiProperty({ enum: ENTRY_TYPES })
  @IsIn(ENTRY_TYPES)
  type!: EntryType;

  @ApiProperty({ enum: RESOURCE_USES, description: 'uses an existing resource, or produces (and registers) it' })
  @IsIn(RESOURCE_USES)
  use!: ResourceUse;
}

class SecurityDto {
  @NullableRef('the 商用密码应用安全性评估 report reference, or null')
  cryptoAssessmentRef!: string | null;

  @ApiProperty({ enum: CRYPTO_ASSESSMENT_RESULTS, nullable: true })
  @ValidateIf((_o, value) => value !== null)
  @IsIn(CRYPTO_ASSESSMENT_RESULTS)
  cryptoAssessmentResult!: CryptoAssessmentResult | null;

  @ApiProperty({ type: 'integer', nullable: true, description: '等级保护 level, 1 to 5' })
  @ValidateIf((_o, value) => value !== null)
  @IsInt()
  @Min(1)
  @Max(5)
  protectionLevel!: number | null;

  @NullableRef('the 等级保护 filing number (11 digits, a hyphen, 5 digits), or null')
  filingNumber!: string | null;

  @NullableRef('the security management plan reference, or null')
  managementPlanRef!: string | null;
}

function List(of: () => new () => object, max: number, description: string, min = 0): PropertyDecorator {
  return (target, key) => {
    ApiProperty({ type: [of()], description })(target, key);
    IsArray()(target, key);
    if (min > 0) ArrayMinSize(min)(target, key);
    ArrayMaxSize(max)(target, key);
    EachObject()(target, key);
    ValidateNested({ each: true })(target, key);
    Type(of)(target, key);
  };
}

/** The parts of a declaration a project may amend (all but its institution). */
class DeclarationPartsDto {
  @ApiProperty({ example: '城市大脑二期' })
  @IsString()
  @Length(1, 200)
  @Matches(NOT_BLANK, { message: 'name must not be blank' })
  name!: string;

  @ApiProperty({ type: FundsDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => FundsDto)
  funds!: FundsDto;

  @List(() => SystemDto, 100, 'application systems built or changed')
  systems!: SystemDto[];

  @List(() => NetworkDto, 100, 'networks and platforms built')
  networks!: NetworkDto[];

  @List(() => PlannedItemDto, 500, 'data items the project will collect')
  dataItems!: PlannedItemDto[];

  @ApiProperty({ enum: GRADES, description: 'the highest grade of the data it handles' })
  @IsIn(GRADES)
  dataGrade!: Grade;

  @List(() => ResourceDto, 200, 'catalog resources it uses or produces')
  resources!: ResourceDto[];

  @ApiProperty({ type: SecurityDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => SecurityDto)
  security!: SecurityDto;
}

export class DeclareProjectDto extends DeclarationPartsDto implements ProjectDeclaration {
  @IsUuidField({ description: 'the declaring institution, registered at this node' })
  institutionId!: string;
}

/** An amendment replaces the declaration's parts (not its institution): a new declaration version. */
export class AmendProjectDto extends DeclarationPartsDto {}

export class ReviewProjectDto {
  @ApiProperty({ enum: PROJECT_STAGES })
  @IsIn(PROJECT_STAGES)
  stage!: ProjectStage;
}

export class ListProjectsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: PROJECT_STATUSES })
  @IsOptional()
  @IsIn(PROJECT_STATUSES)
  status?: ProjectStatus;

  @IsUuidField({ optional: true, description: 'only this institution’s projects' })
  institutionId?: string;
}

export class SynonymGroupDto {
  @ApiProperty({ type: [String], example: ['身份证号', '公民身份号码'], description: 'names of one data item, 2 to 50' })
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  @Matches(NOT_BLANK, { each: true, message: 'each name must not be blank' })
  names!: string[];
}

export class ReplaceSynonymsDto {
  @List(() => SynonymGroupDto, 2000, 'the whole table: every group, replacing the current ones')
  groups!: SynonymGroupDto[];
}

export class SupervisedProjectsQuery extends PageQuery {
  @IsDivisionCodeField({ optional: true, description: "a division in this node's jurisdiction (default: the node's own)" })
  within?: string;
}
