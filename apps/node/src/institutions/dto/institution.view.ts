import { ENTRY_STATUSES, INSTITUTION_KINDS, type InstitutionView } from '@tdx/contracts';
import { PageViewOf, View } from '../../common/api-docs';

export class InstitutionViewDto implements InstitutionView {
  @View.uuid()
  id!: string;

  @View.text({ description: 'division code of the node where it was registered', example: '330000' })
  origin!: string;

  @View.text()
  name!: string;

  @View.oneOf(INSTITUTION_KINDS)
  kind!: InstitutionView['kind'];

  @View.textOrNull({ description: 'unified social credit code' })
  creditCode!: string | null;

  @View.int()
  version!: number;

  @View.oneOf(ENTRY_STATUSES)
  status!: InstitutionView['status'];

  @View.time()
  createdAt!: string;

  @View.time()
  updatedAt!: string;
}

export class InstitutionPageDto extends PageViewOf(InstitutionViewDto) {}
