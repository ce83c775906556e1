import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ANONYMOUS, Principal, RequestWithPrincipal } from './principal';

/** The principal the guard attached to this request. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<RequestWithPrincipal>().principal ?? ANONYMOUS,
);
