import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { DockerConfigFile, dockerConfigDir, registryKey } from '../registry-credentials.js';

interface LogoutOptions {
  server: string;
}

/** `berth logout`: removes the registry's entry from config.json (the daemon keeps no credentials). */
export const logoutCommand: Command<LogoutOptions> = {
  name: 'logout',
  usage: 'berth logout [SERVER]',
  summary: 'Log out from a registry',
  flags: [],
  parse(args) {
    if (args.positionals.length > 1) throw new UsageError('"logout" requires at most 1 argument.');
    return { server: args.positionals[0] ?? '' };
  },
  async action({ server }, ctx) {
    const key = registryKey(server);
    const removed = await new DockerConfigFile(dockerConfigDir(ctx.env ?? {})).erase(key);
    ctx.stdout.write(removed ? `Removing login credentials for ${key}\n` : `Not logged in to ${key}\n`);
    return 0;
  },
};
