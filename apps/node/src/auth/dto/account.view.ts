import { ApiProperty } from '@nestjs/swagger';
import {
  ACCOUNT_ROLES,
  PERMISSIONS,
  type AccessTokenView,
  type AccountRoleView,
  type AccountView,
  type Permission,
  type SessionView,
  type TokenPairView,
} from '@tdx/contracts';
import { PageViewOf, View } from '../../common/api-docs';

class AccountRoleViewDto implements AccountRoleView {
  @View.oneOf(ACCOUNT_ROLES)
  role!: AccountRoleView['role'];

  @View.textOrNull({ description: 'for institution roles, the institution; null for the others' })
  institutionId!: string | null;
}

export class AccountViewDto implements AccountView {
  @View.uuid()
  id!: string;

  @View.text()
  username!: string;

  @View.bool()
  disabled!: boolean;

  @View.of([AccountRoleViewDto])
  roles!: AccountRoleView[];

  @View.text()
  createdBy!: string;

  @View.time()
  createdAt!: string;

  @View.time()
  updatedAt!: string;
}

export class AccountPageDto extends PageViewOf(AccountViewDto) {}

export class SessionViewDto extends AccountViewDto implements SessionView {
  @View.text({ description: 'the node the account belongs to', example: '330000' })
  node!: string;

  @ApiProperty({ isArray: true, enum: [...PERMISSIONS], enumName: 'Permission', description: "the session's effective permissions at this node, sorted" })
  permissions!: Permission[];
}

/** Cookie mode (header `X-TDX-Session: cookie`): the refresh token is in the HttpOnly cookie `tdx_refresh`, not here. */
export class AccessTokenViewDto implements AccessTokenView {
  @View.text()
  accessToken!: string;

  @View.oneOf(['Bearer'])
  tokenType!: 'Bearer';

  @View.int({ description: 'seconds until the access token expires' })
  expiresIn!: number;
}

export class TokenPairViewDto implements TokenPairView {
  @View.text()
  accessToken!: string;

  @View.text({ description: 'used up by the refresh that presents it' })
  refreshToken!: string;

  @View.oneOf(['Bearer'])
  tokenType!: 'Bearer';

  @View.int({ description: 'seconds until the access token expires' })
  expiresIn!: number;
}
