import type { AccessGrant } from '../session/auth-api';
import { SignInForm } from '../session/SignInForm';
import { useI18n } from '../i18n/i18n';
import { LanguageSwitch } from './LanguageSwitch';

export function SignInPage({ onSignedIn }: { onSignedIn: (grant: AccessGrant) => Promise<void> }) {
  const { t } = useI18n();
  return (
    <main className="sign-in" id="main">
      <div className="sign-in-card">
        <div className="sign-in-top">
          <p className="brand">{t('app.title')}</p>
          <LanguageSwitch />
        </div>
        <h1>{t('signIn.title')}</h1>
        <SignInForm onSignedIn={onSignedIn} />
      </div>
    </main>
  );
}
