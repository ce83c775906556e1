import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { ROLES } from '../../access/permissions';
import type { Role } from '../../access/principal';
import { PASSWORD_MAX } from '../../common/password-policy';
import { IsUuidField } from '../../common/id-fields';
import { EachObject } from '../../common/validation';

export const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;

export class RoleGrantDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;

  @IsUuidField({ optional: true, description: 'required for institution-admin and institution-user, refused for the others' })
  institutionId?: string;
}

export class RolesDto {
  @ApiProperty({ type: [RoleGrantDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @EachObject()
  @ValidateNested({ each: true })
  @Type(() => RoleGrantDto)
  roles!: RoleGrantDto[];
}

export class CreateAccountDto extends RolesDto {
  @ApiProperty({ example: 'li.wei', description: '3 to 64 of a-z 0-9 . _ -, starting with a letter or digit' })
  @IsString()
  @Matches(USERNAME, { message: 'username must be 3 to 64 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit' })
  username!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(PASSWORD_MAX)
  password!: string;
}

export class ResetPasswordDto {
  @ApiProperty()
  @IsString()
  @MaxLength(PASSWORD_MAX)
  password!: string;
}
