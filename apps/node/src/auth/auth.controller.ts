import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AccessTokenView, AccountView, SessionView, TokenPairView } from '@tdx/contracts';
import { AuthService } from './auth.service';
import { NODE_CONFIG, type NodeRuntimeConfig } from '../config/node-config';
import { NotSignedInError } from '../access/access-errors';
import { strictValidationPipe } from '../common/validation';
import { clearRefreshCookie, refreshCookieOf, setRefreshCookie, wantsCookieSession } from './session-cookie';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import { ChangePasswordDto, LoginDto, RefreshDto, SetupDto } from './dto/auth.dto';
import { AccessTokenViewDto, AccountViewDto, SessionViewDto, TokenPairViewDto } from './dto/account.view';
import { Policy, Public } from '../access/policy.decorator';
import type { Principal } from '../access/principal';
import { ApiRefusals } from '../common/api-docs';

const SESSION_HEADER = ApiHeader({
  name: 'X-TDX-Session',
  required: false,
  enum: ['cookie'],
  description:
    'cookie: browser mode. The refresh token travels in the HttpOnly cookie tdx_refresh (Path=/api/v1/auth, SameSite=Strict), never in a body; required on every cookie-mode refresh and logout.',
});
const TOKENS_ANSWER = ApiOkResponse({
  description: 'Body mode: the token pair. Cookie mode (X-TDX-Session: cookie): the access token only, the refresh token is set in the cookie tdx_refresh.',
  schema: { anyOf: [{ $ref: getSchemaPath(TokenPairViewDto) }, { $ref: getSchemaPath(AccessTokenViewDto) }] },
});

/**
 * Sign-in with a local account (the sign-in rate limit is the hardening middleware's, by path).
 * Two modes: body mode (the CLI, scripts) takes and answers the refresh token in JSON bodies;
 * cookie mode (the console, header `X-TDX-Session: cookie`) keeps it in an HttpOnly cookie that
 * page scripts cannot read (session-cookie.ts).
 */
@ApiTags('auth')
@ApiRefusals('invalid')
@ApiExtraModels(TokenPairViewDto, AccessTokenViewDto)
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
  ) {}

  /** `{accessToken, refreshToken, expiresIn}` (cookie mode: the refresh token in the cookie); a wrong user name and a wrong password get the same 401. */
  @Post('login')
  @HttpCode(200)
  @Public()
  @ApiOperation({ summary: 'Sign in with a user name and password' })
  @SESSION_HEADER
  @TOKENS_ANSWER
  @ApiRefusals('unauthenticated')
  async login(@Body() dto: LoginDto, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<TokenPairView | AccessTokenView> {
    const pair = await this.auth.login(dto.username, dto.password);
    return wantsCookieSession(request) ? this.inCookie(pair, request, response) : pair;
  }

  /** A new access token and a new refresh token; the one presented (in the body, or in cookie mode the cookie) is used up. */
  @Post('refresh')
  @HttpCode(200)
  @Public()
  @ApiOperation({ summary: 'Trade a refresh token for new tokens' })
  @SESSION_HEADER
  @ApiBody({ type: RefreshDto, required: false, description: 'body mode only; in cookie mode the body may be empty' })
  @TOKENS_ANSWER
  @ApiRefusals('unauthenticated')
  async refresh(@Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<TokenPairView | AccessTokenView> {
    if (!wantsCookieSession(request)) return this.auth.refresh((await refreshBody(body)).refreshToken);
    const cookie = refreshCookieOf(request);
    if ('problem' in cookie) {
      clearRefreshCookie(request, response, this.config.auth);
      throw new NotSignedInError(
        cookie.problem === 'missing' ? 'no session cookie: sign in again' : 'the session cookie is not a refresh token of this node: sign in again',
      );
    }
    try {
      return this.inCookie(await this.auth.refresh(cookie.token), request, response);
    } catch (error) {
      // A token refused (used up, revoked, expired) will never work again: the browser drops it.
      if (error instanceof NotSignedInError) clearRefreshCookie(request, response, this.config.auth);
      throw error;
    }
  }

  /** Ends the sign-in the refresh token belongs to (cookie mode: the cookie's, and the cookie is cleared). */
  @Post('logout')
  @HttpCode(204)
  @Public()
  @ApiOperation({ summary: 'Sign out: end the session of a refresh token' })
  @SESSION_HEADER
  @ApiBody({ type: RefreshDto, required: false, description: 'body mode only; in cookie mode the body may be empty' })
  @ApiNoContentResponse({ description: 'The session is ended (or was already); in cookie mode the cookie is cleared.' })
  async logout(@Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<void> {
    if (!wantsCookieSession(request)) return this.auth.logout((await refreshBody(body)).refreshToken);
    const cookie = refreshCookieOf(request);
    // A missing or garbled cookie ends nothing (like an unknown token in body mode); it is cleared all the same.
    if ('token' in cookie) await this.auth.logout(cookie.token);
    clearRefreshCookie(request, response, this.config.auth);
  }

  private inCookie(pair: TokenPairView, request: Request, response: Response): AccessTokenView {
    const { refreshToken, ...access } = pair;
    setRefreshCookie(request, response, refreshToken, this.config.auth);
    return access;
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

/** Body mode's body, checked exactly as before cookie mode existed (the route's body is optional only in cookie mode). */
async function refreshBody(body: unknown): Promise<RefreshDto> {
  return (await strictValidationPipe().transform(body, { type: 'body', metatype: RefreshDto })) as RefreshDto;
}
