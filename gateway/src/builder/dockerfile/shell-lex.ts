import { invalidArgument } from '@berth/kit';

/** Variables visible to a substitution: the stage's ENV over the build ARGs in effect. */
export type Vars = ReadonlyMap<string, string>;

/**
 * Docker's word processing for instructions that substitute variables (moby's ShellLex): single
 * quotes are literal, double quotes allow `$` expansion, the escape character takes the next
 * character literally, and `$x`, `${x}`, `${x:-d}`, `${x-d}`, `${x:+d}`, `${x+d}`, `${x:?m}`,
 * `${x?m}` expand. `processWord` keeps whitespace (ENV values, WORKDIR); `processWords` splits on
 * unquoted whitespace, unquoted expansions included (COPY sources, EXPOSE, VOLUME).
 */
export function processWord(word: string, vars: Vars, escape = '\\'): string {
  return new Lexer(word, vars, escape).run(false).join('');
}

export function processWords(text: string, vars: Vars, escape = '\\'): string[] {
  return new Lexer(text, vars, escape).run(true);
}

const NAME_CHAR = /[A-Za-z0-9_]/;

class Lexer {
  private pos = 0;
  private words: string[] = [];
  private word = '';
  /** Whether the current word has content, even an empty quoted string (`""` is a word). */
  private inWord = false;

  constructor(
    private readonly src: string,
    private readonly vars: Vars,
    private readonly escape: string,
  ) {}

  run(split: boolean): string[] {
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos]!;
      if (ch === "'") this.add(this.singleQuoted(), true);
      else if (ch === '"') this.add(this.doubleQuoted(), true);
      else if (ch === '$') {
        const value = this.dollar();
        if (split) this.addSplit(value);
        else this.add(value, false);
      } else if (ch === this.escape) {
        this.pos++;
        if (this.pos < this.src.length) this.add(this.src[this.pos++]!, true);
      } else if (split && /\s/.test(ch)) {
        this.pos++;
        this.endWord();
      } else {
        this.add(ch, true);
        this.pos++;
      }
    }
    if (!split) return [this.word];
    this.endWord();
    return this.words;
  }

  private add(text: string, forceWord: boolean): void {
    this.word += text;
    if (forceWord || text !== '') this.inWord = true;
  }

  /** An unquoted expansion: its whitespace separates words. */
  private addSplit(value: string): void {
    const parts = value.split(/\s+/);
    parts.forEach((p, i) => {
      if (i > 0) this.endWord();
      this.add(p, false);
    });
  }

  private endWord(): void {
    if (this.inWord) this.words.push(this.word);
    this.word = '';
    this.inWord = false;
  }

  private singleQuoted(): string {
    const end = this.src.indexOf("'", this.pos + 1);
    if (end < 0) throw invalidArgument('unexpected end of statement while looking for matching single-quote');
    const text = this.src.slice(this.pos + 1, end);
    this.pos = end + 1;
    return text;
  }

  private doubleQuoted(): string {
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= this.src.length) throw invalidArgument('unexpected end of statement while looking for matching double-quote');
      const ch = this.src[this.pos]!;
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      if (ch === this.escape) {
        const next = this.src[this.pos + 1];
        if (next === '"' || next === '$' || next === this.escape) {
          out += next;
          this.pos += 2;
          continue;
        }
      }
      out += ch;
      this.pos++;
    }
  }

  /** At a `$`: the expansion, or a literal `$` when no name follows. */
  private dollar(): string {
    this.pos++;
    const next = this.src[this.pos];
    if (next === '{') {
      this.pos++;
      return this.braced();
    }
    const name = this.name();
    if (name === '') return '$';
    return this.vars.get(name) ?? '';
  }

  private name(): string {
    const start = this.pos;
    while (this.pos < this.src.length && NAME_CHAR.test(this.src[this.pos]!)) this.pos++;
    return this.src.slice(start, this.pos);
  }

  private braced(): string {
    const name = this.name();
    if (name === '') throw invalidArgument(`bad substitution: missing name in \${${this.src.slice(this.pos, this.pos + 10)}`);
    let ch = this.src[this.pos];
    if (ch === '}') {
      this.pos++;
      return this.vars.get(name) ?? '';
    }
    let colon = false;
    if (ch === ':') {
      colon = true;
      this.pos++;
      ch = this.src[this.pos];
    }
    if (ch !== '-' && ch !== '+' && ch !== '?') {
      throw invalidArgument(`unsupported modifier (${ch ?? 'end of input'}) in substitution of ${name}`);
    }
    this.pos++;
    const word = this.untilBrace();
    const value = this.vars.get(name);
    const set = colon ? value !== undefined && value !== '' : value !== undefined;
    if (ch === '-') return set ? value! : word;
    if (ch === '+') return set ? word : '';
    if (!set) throw invalidArgument(`${name}: ${word || 'is not allowed to be unset'}`);
    return value!;
  }

  /** The word of `${x:-word}`, itself expanded, up to the closing brace. */
  private untilBrace(): string {
    let out = '';
    for (;;) {
      if (this.pos >= this.src.length) throw invalidArgument("syntax error: missing '}'");
      const ch = this.src[this.pos]!;
      if (ch === '}') {
        this.pos++;
        return out;
      }
      if (ch === "'") out += this.singleQuoted();
      else if (ch === '"') out += this.doubleQuoted();
      else if (ch === '$') out += this.dollar();
      else if (ch === this.escape) {
        this.pos++;
        if (this.pos < this.src.length) out += this.src[this.pos++]!;
      } else {
        out += ch;
        this.pos++;
      }
    }
  }
}
