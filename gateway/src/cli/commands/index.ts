import type { AnyCommand } from '../command.js';
import { versionCommand } from './version.js';
import { infoCommand } from './info.js';
import { pullCommand } from './pull.js';
import { imagesCommand } from './images.js';
import { tagCommand } from './tag.js';
import { rmiCommand } from './rmi.js';
import { runCommand } from './run.js';
import { psCommand } from './ps.js';
import { logsCommand } from './logs.js';
import { stopCommand } from './stop.js';
import { killCommand } from './kill.js';
import { rmCommand } from './rm.js';
import { inspectCommand } from './inspect.js';
import { startCommand } from './start.js';
import { waitCommand } from './wait.js';
import { networkCommand } from './network.js';
import { portCommand } from './port.js';
import { eventsCommand } from './events.js';
import { commandGroup } from './command-group.js';
import { historyCommand } from './history.js';
import { IMAGE_VERBS } from './image-verbs.js';
import { loadCommand } from './load.js';
import { saveCommand } from './save.js';
import { SYSTEM_VERBS } from './system-verbs.js';
import { execCommand } from './exec.js';
import { topCommand } from './top.js';
import { updateCommand } from './update.js';
import { pauseCommand, unpauseCommand } from './pause.js';
import { VOLUME_VERBS } from './volume-verbs.js';

/** Every verb of the berth CLI, in the order `berth --help` lists them. */
export const COMMANDS: readonly AnyCommand[] = [
  runCommand,
  psCommand,
  pullCommand,
  imagesCommand,
  logsCommand,
  startCommand,
  stopCommand,
  killCommand,
  waitCommand,
  rmCommand,
  rmiCommand,
  tagCommand,
  portCommand,
  networkCommand,
  inspectCommand,
  infoCommand,
  versionCommand,
  eventsCommand,
  historyCommand,
  saveCommand,
  loadCommand,
  commandGroup('image', 'Manage images', IMAGE_VERBS),
  commandGroup('system', 'Manage berth', SYSTEM_VERBS),
  execCommand,
  topCommand,
  updateCommand,
  pauseCommand,
  unpauseCommand,
  commandGroup('volume', 'Manage volumes', VOLUME_VERBS, { list: 'ls', remove: 'rm' }),
];
