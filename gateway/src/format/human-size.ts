/**
 * Sizes and durations as Docker prints them (go-units): decimal units, a few significant digits.
 * Shared by the server (progress strings) and the CLI (tables).
 */
const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'] as const;

/**
 * go-units HumanSizeWithPrecision: `humanSize(13256)` → "13.26kB" (progress, precision 4);
 * `humanSize(4_257_000, 3)` → "4.26MB" (what `docker images` prints, precision 3).
 */
export function humanSize(bytes: number, precision = 4): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  // %.<precision>g: significant digits, trailing zeros dropped.
  return `${Number(size.toPrecision(precision))}${DECIMAL_UNITS[unit]}`;
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] as const;

/** go-units BytesSize: binary units, four significant digits ("23.54GiB"), as `docker info` prints memory. */
export function binarySize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < BINARY_UNITS.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${Number(size.toPrecision(4))}${BINARY_UNITS[unit]}`;
}
