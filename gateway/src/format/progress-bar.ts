import { humanSize } from './human-size.js';

/**
 * The progress text Docker's jsonmessage prints for a byte count: "[=====>     ]  1.05MB/2.1MB".
 * `withBar` false gives only the numbers (narrow terminals; Docker drops the bar under 110 columns).
 */
export function progressText(current: number, total: number, withBar = true): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  const percent = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
  const bar = withBar ? `[${'='.repeat(percent)}>${' '.repeat(Math.max(0, 50 - percent))}] ` : '';
  const numbers = current > total ? '' : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}
