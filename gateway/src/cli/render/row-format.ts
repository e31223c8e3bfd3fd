import { UsageError } from '../errors.js';
import { renderTable } from './table.js';

/**
 * `--format` as docker's list verbs take it, the part people use: `{{.Field}}` placeholders,
 * `{{json .}}` / `{{json .Field}}`, `\t` and `\n` escapes, and a leading `table` for aligned
 * columns with headers. Not a Go template engine: no pipelines, conditionals or functions.
 */
export type Row = Record<string, string>;

const PLACEHOLDER = /\{\{\s*(json\s+)?\.([A-Za-z]*)\s*\}\}/g;

function unescape(text: string): string {
  return text.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

function expand(template: string, row: Row): string {
  return template.replace(PLACEHOLDER, (_, json: string | undefined, field: string) => {
    if (field === '') return JSON.stringify(row);
    if (!(field in row)) throw new UsageError(`template: can't evaluate field ${field}`);
    return json ? JSON.stringify(row[field]) : row[field]!;
  });
}

/** Checks every `{{…}}` is one this formatter knows, before any output. */
function validate(template: string): void {
  const all = template.match(/\{\{[^}]*\}\}/g) ?? [];
  const known = template.match(PLACEHOLDER) ?? [];
  if (all.length !== known.length) throw new UsageError(`unsupported --format template: ${template}`);
}

/** Renders rows with a format; `headers` names each field's column for `table` formats. */
export function formatRows(format: string, rows: Row[], headers: Record<string, string>): string {
  const table = /^table(\s|$)/.test(format);
  const template = unescape(table ? format.replace(/^table\s*/, '') : format);
  validate(template);
  if (!table) return rows.map((row) => expand(template, row) + '\n').join('');
  const columns = template.split('\t');
  const header = columns.map((c) => c.replace(PLACEHOLDER, (_, _json, field: string) => headers[field] ?? field.toUpperCase()));
  return renderTable(header, rows.map((row) => columns.map((c) => expand(c, row))));
}
