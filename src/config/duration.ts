/**
 * Go duration strings (`time.ParseDuration`, which `metav1.Duration` and MetalLB's legacy parser use):
 * `90s`, `1m30s`, `1.5h`, `300ms`, `-2s`, `0`. Units ns, us (µs, μs), ms, s, m, h; a unit is required
 * except for a bare `0`.
 */

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  'µs': 1e-6,
  'μs': 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** Go's limit: a Duration is an int64 of nanoseconds (about 292 years). */
const MAX_SECONDS = 9223372036;

/** Parses a Go duration; the value in seconds (may be fractional or negative), or `undefined`. */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s.startsWith('-')) sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  const re = /^([0-9]*)(\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m) return undefined;
    const whole = m[1] ?? '';
    const frac = m[3] ?? '';
    // Go: at least one digit before or after the dot.
    if (whole === '' && frac === '') return undefined;
    const unit = UNIT_SECONDS[m[4] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(`${whole === '' ? '0' : whole}.${frac === '' ? '0' : frac}`) * unit;
    s = s.slice(m[0].length);
  }
  if (!Number.isFinite(total) || total > MAX_SECONDS) return undefined;
  return sign * total;
}

/** Whole seconds of a duration, rounded toward zero as MetalLB's `int(d.Seconds())`. */
export function wholeSeconds(seconds: number): number {
  // Guard against binary fractions just under an integer (`0.1s` * 30 and the like).
  const rounded = Math.round(seconds);
  if (Math.abs(seconds - rounded) < 1e-9) return rounded;
  return Math.trunc(seconds);
}

/** Formats whole seconds the way Go prints a Duration (`1m30s`, `2m0s`, `1h0m0s`, `0s`). */
export function formatGoDuration(totalSeconds: number): string {
  if (totalSeconds === 0) return '0s';
  const neg = totalSeconds < 0;
  let rest = Math.abs(totalSeconds);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  const text = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  return neg ? `-${text}` : text;
}
