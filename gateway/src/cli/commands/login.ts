import { flagBool, flagString } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { DockerConfigFile, dockerConfigDir, registryKey, type StoredCredentials } from '../registry-credentials.js';

interface LoginOptions {
  server: string;
  username?: string;
  password?: string;
  passwordStdin: boolean;
}

/**
 * `berth login`: the daemon checks the credentials against the registry (`POST /auth`), then they
 * are stored in the docker CLI's config.json (`$DOCKER_CONFIG` or ~/.docker, mode 0600), an
 * identity token instead of the password when the registry's token server gave one.
 * Without -u/-p the stored credentials are checked again. There is no interactive prompt.
 */
export const loginCommand: Command<LoginOptions> = {
  name: 'login',
  usage: 'berth login [OPTIONS] [SERVER]',
  summary: 'Log in to a registry',
  flags: [
    { long: 'username', short: 'u', kind: 'string', valueName: 'string', description: 'Username' },
    { long: 'password', short: 'p', kind: 'string', valueName: 'string', description: 'Password' },
    { long: 'password-stdin', kind: 'bool', description: 'Take the password from stdin' },
  ],
  parse(args) {
    if (args.positionals.length > 1) throw new UsageError('"login" requires at most 1 argument.');
    const username = flagString(args, 'username');
    const password = flagString(args, 'password');
    const passwordStdin = flagBool(args, 'password-stdin');
    if (password !== undefined && passwordStdin) throw new UsageError('--password and --password-stdin are mutually exclusive');
    if (passwordStdin && username === undefined) throw new UsageError('Must provide --username with --password-stdin');
    return {
      server: args.positionals[0] ?? '',
      passwordStdin,
      ...(username !== undefined && { username }),
      ...(password !== undefined && { password }),
    };
  },
  async action(o, ctx) {
    const key = registryKey(o.server);
    const file = new DockerConfigFile(dockerConfigDir(ctx.env ?? {}));
    let creds: StoredCredentials | undefined;
    if (o.username !== undefined) {
      if (o.password !== undefined) ctx.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
      const password = o.passwordStdin ? await readPassword(ctx) : o.password;
      if (password === undefined || password === '') throw new CliError('Error: Password Required');
      creds = { username: o.username, password };
    } else {
      creds = await file.get(key);
      if (!creds) throw new CliError('Error: Cannot perform an interactive login from a non TTY device');
    }
    const answer = await ctx.client.json<{ Status?: string; IdentityToken?: string }>('POST', '/auth', {
      body: {
        username: creds.username,
        password: creds.identityToken ? '' : creds.password,
        serveraddress: key,
        ...(creds.identityToken && { identitytoken: creds.identityToken }),
      },
    });
    const identityToken = answer?.IdentityToken || creds.identityToken;
    await file.store(key, { username: creds.username, password: identityToken ? '' : creds.password, ...(identityToken && { identityToken }) });
    ctx.stdout.write(`${answer?.Status || 'Login Succeeded'}\n`);
    return 0;
  },
};

/** The password on stdin, without the line ending (`echo pass | berth login --password-stdin`). */
async function readPassword(ctx: CliContext): Promise<string> {
  if (!ctx.stdin) throw new CliError('Error: Cannot read the password: no standard input');
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
