import { HISTORY_SERIES, type HistoryPointView, type HistorySeries, type MetricsHistoryView } from '@tdx/contracts';
import { View } from '../../common/api-docs';

class HistoryPointViewDto implements HistoryPointView {
  @View.time({ description: 'the start of the sampled minute' })
  at!: string;

  @View.textOrNull({ description: "the link's peer node, or the status class (2xx, 4xx, 5xx); null for transfer-rows" })
  label!: string | null;

  @View.number()
  value!: number;
}

export class MetricsHistoryViewDto implements MetricsHistoryView {
  @View.oneOf(HISTORY_SERIES)
  series!: HistorySeries;

  @View.of([HistoryPointViewDto], { description: 'oldest first; by label within one minute' })
  points!: HistoryPointView[];
}
