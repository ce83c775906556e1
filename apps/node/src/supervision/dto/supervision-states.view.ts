import { SUPERVISION_TOPICS, type SupervisionStateView, type SupervisionTopic } from '@tdx/contracts';
import { PageViewOf, View } from '../../common/api-docs';

class SignedTextViewDto {
  @View.text({ description: 'the signed replication record (its JSON text), exactly as the origin published it' })
  payload!: string;

  @View.text({ description: "Ed25519 signature of payload by the origin's key (base64)" })
  sig!: string;
}

export class SupervisionStateViewDto implements SupervisionStateView {
  @View.text({ example: '330106' })
  origin!: string;

  @View.oneOf(SUPERVISION_TOPICS)
  topic!: SupervisionTopic;

  @View.text({ example: 'node' })
  key!: string;

  @View.int({ description: 'strictly increasing per (origin, topic, key)' })
  version!: number;

  @View.time()
  computedAt!: string;

  @View.time({ description: 'when this node stored this version' })
  receivedAt!: string;

  @View.json({ description: "the figures, in the topic's shape (libs/contracts, supervision)" })
  data!: unknown;

  @View.of(SignedTextViewDto, { description: 'the proof: verify payload against sig with the origin public key (GET /api/v1/federation/trust-list)' })
  signature!: { payload: string; sig: string };
}

export class SupervisionStatePageDto extends PageViewOf(SupervisionStateViewDto) {}
