import { useI18n } from '../i18n/i18n';

export function LanguageSwitch() {
  const { t, locale, setLocale } = useI18n();
  return (
    <button
      type="button"
      className="link-button"
      lang={locale === 'zh-CN' ? 'en' : 'zh-CN'}
      title={t('app.switchLanguageLabel')}
      onClick={() => setLocale(locale === 'zh-CN' ? 'en' : 'zh-CN')}
    >
      {t('app.switchLanguage')}
    </button>
  );
}
