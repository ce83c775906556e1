import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { uuidParam } from '../common/id-fields';
import { PageQuery } from '../common/page.query';
import { AccountsService } from './accounts.service';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import { CreateAccountDto, ResetPasswordDto, RolesDto } from './dto/accounts.dto';
import { Policy } from '../access/policy.decorator';
import type { Principal } from '../access/principal';

const uuid = uuidParam('id');

/** Accounts of this node: the operator manages all, an institution admin its institution's users. */
@ApiTags('accounts')
@ApiBearerAuth()
@Controller('api/v1/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @Policy('accounts:manage')
  create(@CurrentPrincipal() actor: Principal, @Body() dto: CreateAccountDto) {
    return this.accounts.create(actor, dto);
  }

  @Get()
  @Policy('accounts:manage')
  list(@CurrentPrincipal() actor: Principal, @Query() query: PageQuery) {
    return this.accounts.list(actor, query);
  }

  @Get(':id')
  @Policy('accounts:manage')
  get(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string) {
    return this.accounts.get(actor, id);
  }

  /** Disabling ends the account's sessions at once. */
  @Post(':id/disable')
  @HttpCode(200)
  @Policy('accounts:manage')
  disable(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string) {
    return this.accounts.setDisabled(actor, id, true);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @Policy('accounts:manage')
  enable(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string) {
    return this.accounts.setDisabled(actor, id, false);
  }

  /** Sets a new password and ends the account's sessions. */
  @Post(':id/password')
  @HttpCode(200)
  @Policy('accounts:manage')
  resetPassword(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string, @Body() dto: ResetPasswordDto) {
    return this.accounts.resetPassword(actor, id, dto.password);
  }

  @Put(':id/roles')
  @Policy('accounts:roles')
  setRoles(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string, @Body() dto: RolesDto) {
    return this.accounts.setRoles(actor, id, dto.roles);
  }
}
