import { DockerfileParseError } from './errors.js';

/** One instruction as written: continuation lines joined, comments dropped. */
export interface LogicalLine {
  text: string;
  /** 1-based line of the instruction's first physical line. */
  line: number;
}

export interface SplitDockerfile {
  lines: LogicalLine[];
  /** The escape character (`\` unless `# escape=` says otherwise). */
  escape: '\\' | '`';
  /** Parser directives found at the top (`syntax`, `escape`, `check`), names lowercased. */
  directives: Record<string, string>;
}

const DIRECTIVE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);

/**
 * Splits a Dockerfile into logical lines as moby/buildkit's parser does: parser directives only
 * at the very top (the first other line, blank or comment, ends them); whole-line comments
 * dropped even inside a continuation; a line ending with the escape character (then optional
 * blanks) continues on the next, the escape and newline removed and the next line's leading
 * whitespace kept; empty continuation lines skipped.
 */
export function splitLines(source: string): SplitDockerfile {
  const physical = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  const directives: Record<string, string> = {};
  let i = 0;
  for (; i < physical.length; i++) {
    const m = DIRECTIVE.exec(physical[i]!);
    if (!m) break;
    const name = m[1]!.toLowerCase();
    if (!KNOWN_DIRECTIVES.has(name)) break; // an unknown directive is a comment and ends the directives
    if (name in directives) throw new DockerfileParseError(i + 1, `only one ${name} parser directive can be used`);
    directives[name] = m[2]!;
  }
  const escapeValue = directives['escape'] ?? '\\';
  if (escapeValue !== '\\' && escapeValue !== '`') {
    throw new DockerfileParseError(1, `invalid escape token '${escapeValue}' does not match \` or \\`);
  }
  const escape = escapeValue as '\\' | '`';
  const continuation = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);

  const lines: LogicalLine[] = [];
  let current: LogicalLine | undefined;
  for (; i < physical.length; i++) {
    const raw = physical[i]!;
    const trimmed = raw.trimStart();
    if (trimmed.startsWith('#')) continue; // a comment, also between continuation lines
    if (current === undefined) {
      if (trimmed === '') continue;
      current = { text: '', line: i + 1 };
    } else if (trimmed === '') {
      continue; // an empty continuation line (deprecated by Docker, still accepted)
    }
    const piece = current.text === '' ? trimmed : raw;
    if (continuation.test(piece)) {
      current.text += piece.replace(continuation, '');
      continue;
    }
    current.text += piece;
    lines.push(finish(current));
    current = undefined;
  }
  if (current !== undefined && current.text.trim() !== '') lines.push(finish(current));
  return { lines, escape, directives };
}

function finish(l: LogicalLine): LogicalLine {
  return { text: l.text.trim(), line: l.line };
}
