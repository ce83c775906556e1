/** Progress with its figures for screen readers (role progressbar); without a total it is indeterminate. */
export function ProgressBar({ label, value, max }: { label: string; value: number; max?: number | null }) {
  const known = max !== null && max !== undefined && max > 0;
  const percent = known ? Math.min(100, (value / max) * 100) : undefined;
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={known ? max : undefined}
      aria-valuenow={known ? value : undefined}
    >
      <div className={`progress-fill${known ? '' : ' indeterminate'}`} style={known ? { width: `${percent}%` } : undefined} />
    </div>
  );
}
