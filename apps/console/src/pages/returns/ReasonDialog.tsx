import { useState, type ReactNode } from 'react';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import { useI18n } from '../../i18n/i18n';
import { Dialog } from '../../ui/ConfirmDialog';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { TextAreaField } from '../../ui/Field';

/**
 * A decision with its reason (reject, revoke, withdraw, approve with a note): the API's field errors
 * show beside the reason, a rule's refusal (422) in the banner; the dialog stays open until it succeeds.
 */
export function ReasonDialog({
  title,
  label,
  confirmLabel,
  required,
  onSubmit,
  onDone,
  onCancel,
  extra,
  extraFields,
}: {
  title: string;
  label: string;
  confirmLabel: string;
  required: boolean;
  onSubmit: (reason: string) => Promise<unknown>;
  onDone: () => void;
  onCancel: () => void;
  /** More fields (an expiry, say), rendered above the reason with their errors. */
  extra?: (errors: FormErrors | undefined) => ReactNode;
  /** Field names the extra fields own, so their errors are not repeated in the banner. */
  extraFields?: string[];
}) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FormErrors | undefined>();
  const submit = async () => {
    setBusy(true);
    try {
      await onSubmit(reason.trim());
      onDone();
    } catch (error) {
      setErrors(formErrorsOf(error, (path) => (path === 'note' ? 'reason' : path)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={title}
      onClose={onCancel}
      actions={
        <>
          <button type="button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
          <button type="button" className="primary" onClick={() => void submit()} disabled={busy}>
            {confirmLabel}
          </button>
        </>
      }
    >
      <ErrorBanner errors={errors} fieldLabel={(field) => (field === 'reason' ? label : extraFields?.includes(field) ? field : undefined)} />
      {extra?.(errors)}
      <TextAreaField label={label} required={required} value={reason} onChange={(e) => setReason(e.target.value)} errors={errors?.fields.reason} rows={3} />
    </Dialog>
  );
}
