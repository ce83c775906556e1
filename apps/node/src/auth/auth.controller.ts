import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AccountView, SessionView, TokenPairView } from '@tdx/contracts';
import { AuthService } from './auth.service';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import { ChangePasswordDto, LoginDto, RefreshDto, SetupDto } from './dto/auth.dto';
import { AccountViewDto, SessionViewDto, TokenPairViewDto } from './dto/account.view';
import { Policy, Public } from '../access/policy.decorator';
import type { Principal } from '../access/principal';
import { ApiRefusals } from '../common/api-docs';

/** Sign-in with a local account (the sign-in rate limit is the hardening middleware's, by path). */
@ApiTags('auth')
@ApiRefusals('invalid')
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** `{accessToken, refreshToken, expiresIn}`; a wrong user name and a wrong password get the same 401. */
  @Post('login')
  @HttpCode(200)
  @Public()
  @ApiOperation({ summary: 'Sign in with a user name and password' })
  @ApiOkResponse({ type: TokenPairViewDto })
  @ApiRefusals('unauthenticated')
  login(@Body() dto: LoginDto): Promise<TokenPairView> {
    return this.auth.login(dto.username, dto.password);
  }

  /** A new access token and a new refresh token; the one presented is used up. */
  @Post('refresh')
  @HttpCode(200)
  @Public()
  @ApiOperation({ summary: 'Trade a refresh token for new tokens' })
  @ApiOkResponse({ type: TokenPairViewDto })
  @ApiRefusals('unauthenticated')
  refresh(@Body() dto: RefreshDto): Promise<TokenPairView> {
    return this.auth.refresh(dto.refreshToken);
  }

  /** Ends the sign-in the refresh token belongs to. */
  @Post('logout')
  @HttpCode(204)
  @Public()
  @ApiOperation({ summary: 'Sign out: end the session of a refresh token' })
  @ApiNoContentResponse({ description: 'The session is ended (or was already).' })
  async logout(@Body() dto: RefreshDto): Promise<void> {
    await this.auth.logout(dto.refreshToken);
  }

  /** Creates the administrator `admin` with the one-time setup token printed at first start. */
  @Post('setup')
  @Public()
  @ApiOperation({ summary: 'Create the first administrator with the setup token' })
  @ApiCreatedResponse({ type: AccountViewDto })
  @ApiRefusals('unauthenticated', 'conflict')
  setup(@Body() dto: SetupDto): Promise<AccountView> {
    return this.auth.setup(dto.setupToken, dto.password);
  }

  @Get('me')
  @Policy('self')
  @ApiOperation({ summary: 'The account this session signs in as' })
  @ApiOkResponse({ type: SessionViewDto })
  me(@CurrentPrincipal() principal: Principal): Promise<SessionView> {
    return this.auth.me(principal);
  }

  /** Changes one's own password; the current session goes on and every other session of the account ends. */
  @Post('password')
  @HttpCode(204)
  @Policy('self')
  @ApiOperation({ summary: "Change one's own password" })
  @ApiNoContentResponse({ description: 'Changed; the other sessions of the account end.' })
  async changePassword(@CurrentPrincipal() principal: Principal, @Body() dto: ChangePasswordDto): Promise<void> {
    await this.auth.changePassword(principal, dto.currentPassword, dto.newPassword);
  }
}
