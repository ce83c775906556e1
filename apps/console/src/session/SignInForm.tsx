import { useState, type FormEvent } from 'react';
import { useI18n } from '../i18n/i18n';
import { TextField } from '../ui/Field';
import { signIn, type AccessGrant } from './auth-api';

/** User name and password; a wrong one of either gets the same message (as the API answers the same 401). */
export function SignInForm({ onSignedIn, fixedUser }: { onSignedIn: (grant: AccessGrant) => Promise<void>; fixedUser?: string }) {
  const { t } = useI18n();
  const [username, setUsername] = useState(fixedUser ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const outcome = await signIn(username, password);
    if (outcome.ok) {
      try {
        await onSignedIn(outcome.grant);
      } catch {
        setError(t('common.unreachable'));
      }
    } else {
      setError(
        outcome.reason === 'credentials'
          ? t('signIn.failed')
          : outcome.reason === 'rate'
            ? t('signIn.tooMany')
            : outcome.reason === 'unreachable'
              ? t('common.unreachable')
              : (outcome.message ?? t('common.errorTitle')),
      );
      setPassword('');
    }
    setBusy(false);
  };

  return (
    <form onSubmit={submit} className="sign-in-form" noValidate>
      {error && (
        <p className="error-banner" role="alert">
          {error}
        </p>
      )}
      <TextField
        label={t('signIn.username')}
        name="username"
        autoComplete="username"
        value={username}
        onChange={(e) => setUsername(e.target.value)}
        readOnly={fixedUser !== undefined}
        required
      />
      <TextField
        label={t('signIn.password')}
        name="password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        required
      />
      <button type="submit" className="primary" disabled={busy || !username || !password}>
        {t('signIn.submit')}
      </button>
    </form>
  );
}
