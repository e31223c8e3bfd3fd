import { binarySize } from '../../format/human-size.js';
import type { Command } from '../command.js';

interface InfoOptions {}

type Info = Record<string, any>;

/** `docker info`'s server section, the parts people read. */
export const infoCommand: Command<InfoOptions> = {
  name: 'info',
  usage: 'berth info',
  summary: 'Display system-wide information',
  flags: [],
  parse: () => ({}),
  async action(_options, { client, stdout, stderr }) {
    const i = await client.json<Info>('GET', '/info');
    const lines: string[] = [
      'Server:',
      ` Containers: ${i.Containers}`,
      `  Running: ${i.ContainersRunning}`,
      `  Paused: ${i.ContainersPaused}`,
      `  Stopped: ${i.ContainersStopped}`,
      ` Images: ${i.Images}`,
      ` Server Version: ${i.ServerVersion}`,
      ` Storage Driver: ${i.Driver}`,
      ...((i.DriverStatus ?? []) as string[][]).map(([k, v]) => `  ${k}: ${v}`),
      ` Logging Driver: ${i.LoggingDriver}`,
      ` Cgroup Driver: ${i.CgroupDriver}`,
      ` Cgroup Version: ${i.CgroupVersion}`,
      ` Runtimes: ${Object.keys(i.Runtimes ?? {}).join(' ')}`,
      ` Default Runtime: ${i.DefaultRuntime}`,
      ` Security Options:`,
      ...((i.SecurityOptions ?? []) as string[]).map((o) => `  ${o}`),
      ` Kernel Version: ${i.KernelVersion}`,
      ` Operating System: ${i.OperatingSystem}`,
      ` OSType: ${i.OSType}`,
      ` Architecture: ${i.Architecture}`,
      ` CPUs: ${i.NCPU}`,
      ` Total Memory: ${binarySize(i.MemTotal ?? 0)}`,
      ` Name: ${i.Name}`,
      ` ID: ${i.ID}`,
      ` Root Dir: ${i.DockerRootDir}`,
      ` Live Restore Enabled: ${i.LiveRestoreEnabled}`,
    ];
    stdout.write(lines.join('\n') + '\n');
    const warnings = (i.Warnings ?? []) as string[];
    if (warnings.length > 0) stderr.write(warnings.join('\n') + '\n');
    return 0;
  },
};
