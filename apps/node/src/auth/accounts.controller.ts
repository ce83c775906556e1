import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AccountView, Page } from '@tdx/contracts';
import { uuidParam } from '../common/id-fields';
import { ApiRefusals } from '../common/api-docs';
import { PageQuery } from '../common/page.query';
import { AccountsService } from './accounts.service';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import { CreateAccountDto, ResetPasswordDto, RolesDto } from './dto/accounts.dto';
import { AccountPageDto, AccountViewDto } from './dto/account.view';
import { Policy } from '../access/policy.decorator';
import type { Principal } from '../access/principal';

const uuid = uuidParam('id');

/** Accounts of this node: the operator manages all, an institution admin its institution's users. */
@ApiTags('accounts')
@ApiRefusals('invalid')
@Controller('api/v1/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @Policy('accounts:manage')
  @ApiOperation({ summary: 'Create an account with its roles' })
  @ApiCreatedResponse({ type: AccountViewDto })
  @ApiRefusals('conflict', 'refused')
  create(@CurrentPrincipal() actor: Principal, @Body() dto: CreateAccountDto): Promise<AccountView> {
    return this.accounts.create(actor, dto);
  }

  @Get()
  @Policy('accounts:manage')
  @ApiOperation({ summary: 'List the accounts you manage' })
  @ApiOkResponse({ type: AccountPageDto })
  list(@CurrentPrincipal() actor: Principal, @Query() query: PageQuery): Promise<Page<AccountView>> {
    return this.accounts.list(actor, query);
  }

  @Get(':id')
  @Policy('accounts:manage')
  @ApiOperation({ summary: 'Show an account you manage' })
  @ApiOkResponse({ type: AccountViewDto })
  @ApiRefusals('not-found')
  get(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string): Promise<AccountView> {
    return this.accounts.get(actor, id);
  }

  /** Disabling ends the account's sessions at once. */
  @Post(':id/disable')
  @HttpCode(200)
  @Policy('accounts:manage')
  @ApiOperation({ summary: 'Disable an account (ends its sessions)' })
  @ApiOkResponse({ type: AccountViewDto })
  @ApiRefusals('not-found', 'refused')
  disable(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string): Promise<AccountView> {
    return this.accounts.setDisabled(actor, id, true);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @Policy('accounts:manage')
  @ApiOperation({ summary: 'Enable a disabled account' })
  @ApiOkResponse({ type: AccountViewDto })
  @ApiRefusals('not-found')
  enable(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string): Promise<AccountView> {
    return this.accounts.setDisabled(actor, id, false);
  }

  /** Sets a new password and ends the account's sessions. */
  @Post(':id/password')
  @HttpCode(200)
  @Policy('accounts:manage')
  @ApiOperation({ summary: "Reset an account's password (ends its sessions)" })
  @ApiOkResponse({ type: AccountViewDto })
  @ApiRefusals('not-found')
  resetPassword(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string, @Body() dto: ResetPasswordDto): Promise<AccountView> {
    return this.accounts.resetPassword(actor, id, dto.password);
  }

  @Put(':id/roles')
  @Policy('accounts:roles')
  @ApiOperation({ summary: "Replace an account's roles" })
  @ApiOkResponse({ type: AccountViewDto })
  @ApiRefusals('not-found', 'refused')
  setRoles(@CurrentPrincipal() actor: Principal, @Param('id', uuid) id: string, @Body() dto: RolesDto): Promise<AccountView> {
    return this.accounts.setRoles(actor, id, dto.roles);
  }
}
