import type { HealthView, LivenessView } from '@tdx/contracts';
import { View } from '../../common/api-docs';

const UP_DOWN = ['up', 'down'] as const;

class HealthChecksDto {
  @View.oneOf(UP_DOWN)
  database!: 'up' | 'down';

  @View.oneOf(UP_DOWN)
  nats!: 'up' | 'down';
}

export class HealthViewDto implements HealthView {
  @View.oneOf(['ok', 'unavailable'])
  status!: HealthView['status'];

  @View.of(HealthChecksDto)
  checks!: HealthView['checks'];
}

export class LivenessViewDto implements LivenessView {
  @View.oneOf(['ok'])
  status!: 'ok';
}
