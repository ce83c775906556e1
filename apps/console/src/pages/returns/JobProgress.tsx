import type { Schemas } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { ProgressBar } from '../../ui/ProgressBar';

export type ReturnJob = Schemas['ReturnJobViewDto'];

/** "1 h 2 min 5 s" style, in the console's language: whole seconds are enough for a transfer. */
export function durationParts(seconds: number): { h: number; m: number; s: number } {
  const total = Math.max(0, Math.round(seconds));
  return { h: Math.floor(total / 3600), m: Math.floor((total % 3600) / 60), s: total % 60 };
}

/** One transfer job: rows done of the total, the rate, the time left, then its outcome. */
export function JobProgress({ job }: { job: ReturnJob }) {
  const { t, number, dateTime } = useI18n();
  const active = job.state === 'queued' || job.state === 'running';
  const left = job.etaSeconds === null ? undefined : durationParts(job.etaSeconds);
  const timeLeft =
    left === undefined
      ? t('returns.job.unknown')
      : left.h > 0
        ? t('returns.job.hms', { h: left.h, m: left.m, s: left.s })
        : left.m > 0
          ? t('returns.job.ms', { m: left.m, s: left.s })
          : t('returns.job.s', { s: left.s });
  return (
    <section className="return-job" aria-labelledby={`job-${job.id}`}>
      <h3 id={`job-${job.id}`}>
        {t(`returns.job.kind.${job.kind}`)} · <span className={`state state-${job.state}`}>{t(`returns.job.state.${job.state}`)}</span>
      </h3>
      <ProgressBar
        label={t('returns.job.progress')}
        value={job.rowsDone}
        max={job.state === 'done' ? Math.max(job.rowsDone, job.rowsTotal ?? 0) || 1 : job.rowsTotal}
      />
      <dl className="facts job-facts" aria-live={active ? 'polite' : undefined}>
        <dt>{t('returns.job.rows')}</dt>
        <dd>
          {job.rowsTotal === null
            ? t('returns.job.rowsDoneOnly', { done: number(job.rowsDone) })
            : t('returns.job.rowsOf', { done: number(job.rowsDone), total: number(job.rowsTotal) })}
        </dd>
        {active && (
          <>
            <dt>{t('returns.job.rate')}</dt>
            <dd>{job.ratePerSec === null ? t('returns.job.unknown') : t('returns.job.perSecond', { rate: number(job.ratePerSec, 1) })}</dd>
            <dt>{t('returns.job.timeLeft')}</dt>
            <dd>{timeLeft}</dd>
          </>
        )}
        {job.state === 'done' && (
          <>
            <dt>{t('returns.job.finishedAt')}</dt>
            <dd>{dateTime(job.finishedAt)}</dd>
            <dt>{t('returns.job.changes')}</dt>
            <dd>{t('returns.job.upsertsDeletes', { upserts: number(job.upserts), deletes: number(job.deletes) })}</dd>
          </>
        )}
        {job.lastError && (
          <>
            <dt>{t('returns.job.lastError')}</dt>
            <dd>{job.lastError}</dd>
          </>
        )}
      </dl>
    </section>
  );
}
