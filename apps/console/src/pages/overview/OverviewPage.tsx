import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { PageHeader } from '../../ui/PageHeader';

/** Who this node is, and who is signed in to it. */
export function OverviewPage() {
  const { t } = useI18n();
  const { node, me } = useSession();
  return (
    <>
      <PageHeader title={t('overview.title')} />
      <dl className="facts">
        <dt>{t('overview.code')}</dt>
        <dd>{node.code}</dd>
        <dt>{t('overview.level')}</dt>
        <dd>{t(`level.${node.level}`)}</dd>
        <dt>{t('overview.parent')}</dt>
        <dd>{node.parent ? `${node.parent.name} (${node.parent.code})` : t('overview.none')}</dd>
        <dt>{t('overview.key')}</dt>
        <dd className="mono">{node.publicKey}</dd>
        <dt>{t('overview.roles')}</dt>
        <dd>{me.roles.map((r) => t(`role.${r.role}`)).join(t('common.listSeparator'))}</dd>
      </dl>
    </>
  );
}
