/**
 * Raw word splitting at parse time (moby's parseWords): whitespace separates words unless quoted
 * or escaped; quotes and escapes stay in the words, for the substitution step to interpret.
 */
export function rawWords(text: string, escape: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === '' && /\s/.test(ch)) {
      if (word !== '') words.push(word);
      word = '';
      continue;
    }
    if (ch === escape && quote !== "'" && i + 1 < text.length) {
      word += ch + text[i + 1]!;
      i++;
      continue;
    }
    if (quote === '' && (ch === '"' || ch === "'")) quote = ch;
    else if (ch === quote) quote = '';
    word += ch;
  }
  if (word !== '') words.push(word);
  return words;
}

/** The JSON (exec) form, when `text` is a JSON array of strings; otherwise undefined (shell form). */
export function jsonArray(text: string): string[] | undefined {
  const t = text.trim();
  if (!t.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(t);
  } catch {
    return undefined; // not JSON: Docker takes it as the shell form
  }
  if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) return undefined;
  return parsed as string[];
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration ("30s", "1m30s", "500ms", "0") in nanoseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_NS[m[2]!]!;
    end = re.lastIndex;
  }
  if (end === 0 || end !== text.length) return undefined;
  return Math.round(total);
}
