import path from 'node:path';

interface Pattern {
  /** The pattern as cleaned ("a/**\/b"); for messages and tests. */
  text: string;
  exclusion: boolean;
  regex: RegExp;
}

/**
 * A `.dockerignore` (moby's patternmatcher semantics): one pattern per line, `#` comments and
 * blank lines skipped, surrounding whitespace trimmed, a leading `/` and `./` dropped
 * (`filepath.Clean`), `!` re-includes. `*` and `?` do not cross `/`, `**` matches any number of
 * directories, `[...]` classes and `\` escapes as in Go's filepath.Match. A path is ignored when
 * the last pattern matching it — or matching one of its parent directories — is not an exception.
 */
export class DockerIgnore {
  private readonly patterns: Pattern[];

  constructor(lines: readonly string[]) {
    this.patterns = [];
    for (const raw of lines) {
      let line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const exclusion = line.startsWith('!');
      if (exclusion) line = line.slice(1).trim();
      const text = path.posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
      if (text === '' || text === '.') continue;
      this.patterns.push({ text, exclusion, regex: compile(text) });
    }
  }

  static parse(content: string): DockerIgnore {
    return new DockerIgnore(content.split(/\r?\n/));
  }

  get hasExceptions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** Whether `relPath` (context-relative, `/`-separated) is left out of the context. */
  ignores(relPath: string): boolean {
    const clean = path.posix.normalize(relPath).replace(/^\/+/, '').replace(/\/+$/, '');
    const parents: string[] = [];
    const parts = clean.split('/');
    for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join('/'));
    let ignored = false;
    for (const p of this.patterns) {
      // A pattern naming a directory covers everything below it, exceptions too (`*` then `!src`).
      const hit = p.regex.test(clean) || parents.some((d) => p.regex.test(d));
      if (hit) ignored = !p.exclusion;
    }
    return ignored;
  }

  /**
   * Whether a walk must enter the ignored directory `relDir`: only when an exception could
   * re-include something below it.
   */
  mayIncludeBelow(relDir: string): boolean {
    return this.patterns.some((p) => p.exclusion && (p.text.startsWith(`${relDir}/`) || p.text.includes('*') || p.text.includes('?') || p.text.includes('[')));
  }
}

function compile(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // "**/" matches zero or more directories; "**" elsewhere anything, "/" included.
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < pattern.length) {
      re += escapeRegex(pattern[++i]!);
    } else re += escapeRegex(ch);
  }
  return new RegExp(`^${re}$`);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
