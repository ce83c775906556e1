import { useState } from 'react';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import { useI18n } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { Dialog } from '../../ui/ConfirmDialog';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { TextAreaField } from '../../ui/Field';

export type Decision = 'approve' | 'reject' | 'revoke';

export interface DecisionTarget {
  decision: Decision;
  code: string;
  name: string;
  /** The key asking (a join): several keys may ask as one code, the decision names which. */
  publicKey?: string;
  fingerprint?: string;
}

/** Confirms a decision on a node; rejecting and revoking need a reason (recorded, and shown to the node). */
export function DecisionDialog({ target, onDone, onCancel }: { target: DecisionTarget; onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FormErrors | undefined>();
  const needsReason = target.decision !== 'approve';

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors(undefined);
    try {
      const path = { code: target.code };
      if (target.decision === 'approve') await api.call('POST /api/v1/federation/nodes/{code}/approve', { path, body: { publicKey: target.publicKey } });
      else if (target.decision === 'reject')
        await api.call('POST /api/v1/federation/nodes/{code}/reject', { path, body: { reason, publicKey: target.publicKey } });
      else await api.call('POST /api/v1/federation/nodes/{code}/revoke', { path, body: { reason } });
      onDone();
    } catch (error) {
      setErrors(formErrorsOf(error));
      setBusy(false);
    }
  };

  const formId = `decision-${target.decision}-${target.code}`;
  return (
    <Dialog
      title={t(`federation.decision.${target.decision}.title`, { name: target.name, code: target.code })}
      onClose={onCancel}
      actions={
        <>
          <button type="button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
          <button type="submit" form={formId} className={target.decision === 'approve' ? 'primary' : 'danger'} disabled={busy}>
            {t(`federation.decision.${target.decision}.confirm`)}
          </button>
        </>
      }
    >
      <form id={formId} onSubmit={(e) => void submit(e)}>
        <p>{t(`federation.decision.${target.decision}.message`, { name: target.name, code: target.code })}</p>
        {target.fingerprint && <p className="mono">{t('federation.fingerprint', { fingerprint: target.fingerprint })}</p>}
        <ErrorBanner errors={errors} fieldLabel={(field) => (field === 'reason' ? t('federation.reason') : undefined)} />
        {needsReason && (
          <TextAreaField
            label={t('federation.reason')}
            name="reason"
            required
            maxLength={2000}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            errors={errors?.fields.reason}
          />
        )}
      </form>
    </Dialog>
  );
}
