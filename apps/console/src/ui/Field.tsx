import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import { useI18n } from '../i18n/i18n';

interface FieldShell {
  label: string;
  /** The API's messages for this field (a 400's `fields`, a 409's `field`). */
  errors?: string[];
  hint?: string;
  required?: boolean;
}

/** A labelled control with its hint and errors tied to it (aria-describedby, aria-invalid). */
function Shell({
  label,
  errors,
  hint,
  required,
  children,
}: FieldShell & { children: (ids: { id: string; describedBy?: string; invalid: boolean }) => ReactNode }) {
  const { t } = useI18n();
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = errors?.length ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${errors?.length ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>
        {label}
        {required && <span className="required"> ({t('common.required')})</span>}
      </label>
      {children({ id, describedBy, invalid: Boolean(errors?.length) })}
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      {errorId && (
        <p className="field-error" id={errorId}>
          {errors!.join('; ')}
        </p>
      )}
    </div>
  );
}

export function TextField({ label, errors, hint, required, ...input }: FieldShell & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <Shell label={label} errors={errors} hint={hint} required={required}>
      {({ id, describedBy, invalid }) => <input id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} required={required} {...input} />}
    </Shell>
  );
}

export function TextAreaField({ label, errors, hint, required, ...input }: FieldShell & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return (
    <Shell label={label} errors={errors} hint={hint} required={required}>
      {({ id, describedBy, invalid }) => <textarea id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} required={required} {...input} />}
    </Shell>
  );
}

export function SelectField({
  label,
  errors,
  hint,
  required,
  options,
  ...select
}: FieldShell & SelectHTMLAttributes<HTMLSelectElement> & { options: { value: string; label: string }[] }) {
  return (
    <Shell label={label} errors={errors} hint={hint} required={required}>
      {({ id, describedBy, invalid }) => (
        <select id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} required={required} {...select}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Shell>
  );
}
