import type { AnyCommand } from '../command.js';

/**
 * Every verb of the berth CLI, in the order `berth --help` lists them. Each verb's module is
 * imported only when it runs: an invocation loads its own verb, not all forty (start-up time is
 * part of every `berth` command). commands.test.ts checks the names and summaries against the modules.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<AnyCommand>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'run', summary: 'Create and run a new container from an image', load: async () => (await import('./run.js')).runCommand },
  { name: 'ps', summary: 'List containers', load: async () => (await import('./ps.js')).psCommand },
  { name: 'pull', summary: 'Download an image from a registry', load: async () => (await import('./pull.js')).pullCommand },
  { name: 'build', summary: 'Build an image from a Dockerfile', load: async () => (await import('./build.js')).buildCommand },
  { name: 'search', summary: 'Search registries for images', load: async () => (await import('./search.js')).searchCommand },
  { name: 'push', summary: 'Upload an image to a registry', load: async () => (await import('./push.js')).pushCommand },
  { name: 'images', summary: 'List images', load: async () => (await import('./images.js')).imagesCommand },
  { name: 'logs', summary: 'Fetch the logs of a container', load: async () => (await import('./logs.js')).logsCommand },
  { name: 'start', summary: 'Start one or more stopped containers', load: async () => (await import('./start.js')).startCommand },
  { name: 'stop', summary: 'Stop one or more running containers', load: async () => (await import('./stop.js')).stopCommand },
  { name: 'kill', summary: 'Kill one or more running containers', load: async () => (await import('./kill.js')).killCommand },
  { name: 'wait', summary: 'Block until one or more containers stop, then print their exit codes', load: async () => (await import('./wait.js')).waitCommand },
  { name: 'rm', summary: 'Remove one or more containers', load: async () => (await import('./rm.js')).rmCommand },
  { name: 'rmi', summary: 'Remove one or more images', load: async () => (await import('./rmi.js')).rmiCommand },
  { name: 'tag', summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', load: async () => (await import('./tag.js')).tagCommand },
  { name: 'port', summary: 'List port mappings or a specific mapping for the container', load: async () => (await import('./port.js')).portCommand },
  { name: 'network', summary: 'Manage networks', load: async () => (await import('./network.js')).networkCommand },
  { name: 'inspect', summary: 'Return low-level information on berth objects', load: async () => (await import('./inspect.js')).inspectCommand },
  { name: 'info', summary: 'Display system-wide information', load: async () => (await import('./info.js')).infoCommand },
  { name: 'login', summary: 'Log in to a registry', load: async () => (await import('./login.js')).loginCommand },
  { name: 'logout', summary: 'Log out from a registry', load: async () => (await import('./logout.js')).logoutCommand },
  { name: 'version', summary: 'Show the berth version information', load: async () => (await import('./version.js')).versionCommand },
  { name: 'events', summary: 'Get real time events from the server', load: async () => (await import('./events.js')).eventsCommand },
  { name: 'history', summary: 'Show the history of an image', load: async () => (await import('./history.js')).historyCommand },
  { name: 'save', summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)', load: async () => (await import('./save.js')).saveCommand },
  { name: 'load', summary: 'Load an image from a tar archive or STDIN', load: async () => (await import('./load.js')).loadCommand },
  { name: 'commit', summary: "Create a new image from a container's changes", load: async () => (await import('./commit.js')).commitCommand },
  { name: 'import', summary: 'Import the contents from a tarball to create a filesystem image', load: async () => (await import('./import.js')).importCommand },
  { name: 'image', summary: 'Manage images', load: async () => {
    const [{ commandGroup }, { IMAGE_VERBS }] = await Promise.all([import('./command-group.js'), import('./image-verbs.js')]);
    return commandGroup('image', 'Manage images', IMAGE_VERBS);
  } },
  { name: 'system', summary: 'Manage berth', load: async () => {
    const [{ commandGroup }, { SYSTEM_VERBS }] = await Promise.all([import('./command-group.js'), import('./system-verbs.js')]);
    return commandGroup('system', 'Manage berth', SYSTEM_VERBS);
  } },
  { name: 'exec', summary: 'Execute a command in a running container', load: async () => (await import('./exec.js')).execCommand },
  { name: 'attach', summary: 'Attach local standard input, output, and error streams to a running container', load: async () => (await import('./attach.js')).attachCommand },
  { name: 'top', summary: 'Display the running processes of a container', load: async () => (await import('./top.js')).topCommand },
  { name: 'diff', summary: "Inspect changes to files or directories on a container's filesystem", load: async () => (await import('./diff.js')).diffCommand },
  { name: 'cp', summary: 'Copy files/folders between a container and the local filesystem', load: async () => (await import('./cp.js')).cpCommand },
  { name: 'export', summary: "Export a container's filesystem as a tar archive", load: async () => (await import('./export.js')).exportCommand },
  { name: 'update', summary: 'Update configuration of one or more containers', load: async () => (await import('./update.js')).updateCommand },
  { name: 'pause', summary: 'Pause all processes within one or more containers', load: async () => (await import('./pause.js')).pauseCommand },
  { name: 'unpause', summary: 'Unpause all processes within one or more containers', load: async () => (await import('./pause.js')).unpauseCommand },
  { name: 'volume', summary: 'Manage volumes', load: async () => {
    const [{ commandGroup }, { VOLUME_VERBS }] = await Promise.all([import('./command-group.js'), import('./volume-verbs.js')]);
    return commandGroup('volume', 'Manage volumes', VOLUME_VERBS, { list: 'ls', remove: 'rm' });
  } },
];

/** The verb named, loaded; undefined for an unknown one. */
export async function findCommand(name: string): Promise<AnyCommand | undefined> {
  return COMMANDS.find((c) => c.name === name)?.load();
}
