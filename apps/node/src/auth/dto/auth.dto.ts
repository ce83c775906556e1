import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, MaxLength } from 'class-validator';
import { PASSWORD_MAX } from '../../common/password-policy';

export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @Length(1, 64)
  username!: string;

  @ApiProperty()
  @IsString()
  @Length(1, PASSWORD_MAX)
  password!: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'the refresh token of the last sign-in or refresh; each is used once' })
  @IsString()
  @Length(1, 200)
  refreshToken!: string;
}

export class SetupDto {
  @ApiProperty({ description: 'the one-time setup token the node printed to its log at first start' })
  @IsString()
  @Length(1, 200)
  setupToken!: string;

  @ApiProperty({ description: 'the password of the new administrator `admin`' })
  @IsString()
  @MaxLength(PASSWORD_MAX)
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @Length(1, PASSWORD_MAX)
  currentPassword!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(PASSWORD_MAX)
  newPassword!: string;
}
