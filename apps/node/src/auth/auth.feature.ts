import type { Provider, Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { MigrationInterface } from 'typeorm';
import { OpenDataController } from '../open-data/open-data.controller';
import { AccountRepository } from './account.repository';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { AuthSettingsRepository } from './auth-settings.repository';
import { InstitutionScope } from './institution-scope';
import { Accounts1764400000000 } from './migrations/1764400000000-accounts';
import { RefreshTokenRepository } from './refresh-token.repository';
import { ACCESS_TOKEN_VERIFIER, SessionTokens } from './session-tokens';
import { SignInStatus } from './sign-in-status';

/** Accounts, sign-in, roles and the global policy guard (every route declares who may call it), and the public open-data door. */
export const authFeature: { controllers: Type<unknown>[]; providers: Provider[]; migrations: Type<MigrationInterface>[] } = {
  controllers: [AuthController, AccountsController, OpenDataController],
  providers: [
    AccountRepository, RefreshTokenRepository, AuthSettingsRepository,
    SignInStatus, SessionTokens, { provide: ACCESS_TOKEN_VERIFIER, useExisting: SessionTokens },
    AuthService, AccountsService, InstitutionScope,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  migrations: [Accounts1764400000000],
};
