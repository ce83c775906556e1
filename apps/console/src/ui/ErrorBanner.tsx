import { UNREACHABLE, type FormErrors } from '../api/field-errors';
import { useI18n } from '../i18n/i18n';

/** The refusal as a whole, announced to screen readers; field messages are shown beside their fields. */
export function ErrorBanner({ errors, fieldLabel }: { errors: FormErrors | undefined; fieldLabel?: (field: string) => string | undefined }) {
  const { t } = useI18n();
  if (!errors) return null;
  // Fields the form has no input for still get their message here, so nothing the API said is lost.
  const orphans = Object.entries(errors.fields).filter(([field]) => fieldLabel && !fieldLabel(field));
  const lines = [
    ...errors.form.map((m) => (m === UNREACHABLE ? t('common.unreachable') : m)),
    ...orphans.map(([field, messages]) => t('common.fieldError', { field, message: messages.join('; ') })),
  ];
  if (lines.length === 0) return null;
  return (
    <div className="error-banner" role="alert">
      <strong>{t('common.errorTitle')}</strong>
      <ul>
        {lines.map((line, i) => (
          <li key={i}>{line}</li>
        ))}
      </ul>
    </div>
  );
}
