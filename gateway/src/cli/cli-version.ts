import { readFileSync } from 'node:fs';

/** The CLI's version: the gateway package's (the CLI ships with it). */
export const CLI_VERSION: string = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
})();
