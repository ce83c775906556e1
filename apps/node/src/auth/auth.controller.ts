import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthService } from './auth.service';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import { ChangePasswordDto, LoginDto, RefreshDto, SetupDto } from './dto/auth.dto';
import { Policy, Public } from '../access/policy.decorator';
import type { Principal } from '../access/principal';

/** Sign-in with a local account (the sign-in rate limit is the hardening middleware's, by path). */
@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** `{accessToken, refreshToken, expiresIn}`; a wrong user name and a wrong password get the same 401. */
  @Post('login')
  @HttpCode(200)
  @Public()
  login(@Body() dto: LoginDto) {
    return this.auth.login(dto.username, dto.password);
  }

  /** A new access token and a new refresh token; the one presented is used up. */
  @Post('refresh')
  @HttpCode(200)
  @Public()
  refresh(@Body() dto: RefreshDto) {
    return this.auth.refresh(dto.refreshToken);
  }

  /** Ends the sign-in the refresh token belongs to. */
  @Post('logout')
  @HttpCode(204)
  @Public()
  async logout(@Body() dto: RefreshDto): Promise<void> {
    await this.auth.logout(dto.refreshToken);
  }

  /** Creates the administrator `admin` with the one-time setup token printed at first start. */
  @Post('setup')
  @Public()
  setup(@Body() dto: SetupDto) {
    return this.auth.setup(dto.setupToken, dto.password);
  }

  @Get('me')
  @ApiBearerAuth()
  @Policy('self')
  me(@CurrentPrincipal() principal: Principal) {
    return this.auth.me(principal);
  }

  /** Changes one's own password; the current session goes on and every other session of the account ends. */
  @Post('password')
  @HttpCode(204)
  @ApiBearerAuth()
  @Policy('self')
  async changePassword(@CurrentPrincipal() principal: Principal, @Body() dto: ChangePasswordDto): Promise<void> {
    await this.auth.changePassword(principal, dto.currentPassword, dto.newPassword);
  }
}
