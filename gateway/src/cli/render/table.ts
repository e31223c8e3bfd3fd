/**
 * Docker's table layout (text/tabwriter with minwidth 10, padding 3): every column but the last is
 * as wide as its widest cell plus three spaces, and never narrower than ten.
 */
const MIN_WIDTH = 10;
const PADDING = 3;

export function renderTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, col) =>
    Math.max(MIN_WIDTH, ...all.map((row) => displayWidth(row[col] ?? '') + PADDING)),
  );
  return all
    .map((row) =>
      row
        .map((cell, col) => (col === row.length - 1 ? cell : cell + ' '.repeat(widths[col]! - displayWidth(cell))))
        .join('')
        .trimEnd(),
    )
    .map((line) => line + '\n')
    .join('');
}

/** Characters, not UTF-16 units ("…" is one column). */
function displayWidth(text: string): number {
  return [...text].length;
}

/** Docker's Ellipsis: at most `max` characters, the last one "…" when cut. */
export function ellipsis(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}

/** The 12-character ID Docker prints ("sha256:" dropped). */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
