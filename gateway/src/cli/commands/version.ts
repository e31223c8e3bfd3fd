import os from 'node:os';
import { goArch } from '@berth/kit/platform';
import type { Command } from '../command.js';
import { CLI_VERSION } from '../cli-version.js';

interface VersionOptions {}

interface ServerVersion {
  Platform?: { Name?: string };
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  BuildTime?: string;
}

export const versionCommand: Command<VersionOptions> = {
  name: 'version',
  usage: 'berth version',
  summary: 'Show the berth version information',
  flags: [],
  parse: () => ({}),
  async action(_options, { client, stdout }) {
    const row = (label: string, value: string, indent = ' ') => `${indent}${(label + ':').padEnd(indent.length === 1 ? 19 : 18)}${value}\n`;
    stdout.write(
      'Client:\n' +
        row('Version', CLI_VERSION) +
        row('API version', '1.45') +
        row('Node version', process.version) +
        row('OS/Arch', `${os.platform()}/${goArch()}`) +
        '\n',
    );
    const v = await client.json<ServerVersion>('GET', '/version');
    stdout.write(
      `Server: ${v.Platform?.Name ?? ''}\n Engine:\n` +
        row('Version', v.Version ?? '', '  ') +
        row('API version', `${v.ApiVersion ?? ''} (minimum version ${v.MinAPIVersion ?? ''})`, '  ') +
        row('Go version', v.GoVersion ?? '', '  ') +
        row('Git commit', v.GitCommit ?? '', '  ') +
        row('Built', v.BuildTime ?? '', '  ') +
        row('OS/Arch', `${v.Os ?? ''}/${v.Arch ?? ''}`, '  '),
    );
    return 0;
  },
};
