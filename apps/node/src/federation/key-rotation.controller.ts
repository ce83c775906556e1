import { Controller, HttpCode, HttpException, HttpStatus, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { KeyRotationView } from '@tdx/contracts';
import { ApiRefusals, ErrorViewDto } from '../common/api-docs';
import { KeyRotationViewDto } from './dto/federation.view';
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
  @ApiOperation({ summary: "Rotate this node's signing key (announced to the parent)" })
  @ApiAcceptedResponse({ type: KeyRotationViewDto, description: 'Announced; in force once the trust list names the new key.' })
  @ApiRefusals('refused')
  @ApiResponse({ status: 502, description: 'The parent did not take the rotation.', type: ErrorViewDto })
  async rotate(): Promise<KeyRotationView> {
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
