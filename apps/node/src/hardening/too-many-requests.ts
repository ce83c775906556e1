import { HttpException, HttpStatus } from '@nestjs/common';

/** 429 in the node's error shape; the caller sets Retry-After to the same number of seconds. */
export class TooManyRequestsException extends HttpException {
  constructor(what: string, retryAfterSeconds: number) {
    super(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        error: 'Too Many Requests',
        message: `too many ${what} from this client; try again in ${retryAfterSeconds} s`,
        retryAfterSeconds,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
