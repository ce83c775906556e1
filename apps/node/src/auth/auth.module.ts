import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CatalogModule } from '../catalog/catalog.module';
import { InstitutionsModule } from '../institutions/institutions.module';
import { AccountRepository } from './account.repository';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { AuthSettingsRepository } from './auth-settings.repository';
import { RefreshTokenRepository } from './refresh-token.repository';
import { ACCESS_TOKEN_VERIFIER, SessionTokens } from './session-tokens';
import { SignInStatus } from './sign-in-status';

/** Accounts, sign-in, roles, and the global guard that enforces every route's policy. */
@Module({
  imports: [InstitutionsModule, CatalogModule],
  controllers: [AuthController, AccountsController],
  providers: [
    AccountRepository,
    RefreshTokenRepository,
    AuthSettingsRepository,
    SignInStatus,
    SessionTokens,
    { provide: ACCESS_TOKEN_VERIFIER, useExisting: SessionTokens },
    AuthService,
    AccountsService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [ACCESS_TOKEN_VERIFIER],
})
export class AuthModule {}
