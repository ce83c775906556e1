import { Controller, HttpCode, HttpException, HttpStatus, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Policy } from '../access/policy.decorator';
import { KeyRotationService, RotationFailed } from './key-rotation.service';

/** Rotating this node's own key: announced to the parent over the link, in force once the trust list names it. */
@ApiTags('federation')
@Controller('api/v1/federation')
export class KeyRotationController {
  constructor(private readonly rotation: KeyRotationService) {}

  @Post('key/rotate')
  @Policy('federation:administer')
  @HttpCode(202)
  async rotate() {
    try {
      return await this.rotation.rotate();
    } catch (error) {
      if (error instanceof RotationFailed) {
        throw new HttpException({ statusCode: HttpStatus.BAD_GATEWAY, error: 'Bad Gateway', message: error.message }, HttpStatus.BAD_GATEWAY);
      }
      throw error;
    }
  }
}
