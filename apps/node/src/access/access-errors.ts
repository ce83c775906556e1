import { HttpException, HttpStatus } from '@nestjs/common';

/** 401: no valid credentials. One message for every cause a stranger could probe (no user enumeration). */
export class NotSignedInError extends HttpException {
  constructor(message: string) {
    super({ statusCode: HttpStatus.UNAUTHORIZED, error: 'Unauthorized', message }, HttpStatus.UNAUTHORIZED);
  }
}

/** 403: signed in, but the role does not allow it. */
export class NotAllowedError extends HttpException {
  constructor(message: string) {
    super({ statusCode: HttpStatus.FORBIDDEN, error: 'Forbidden', message }, HttpStatus.FORBIDDEN);
  }
}
