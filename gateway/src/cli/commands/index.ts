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
import { commitCommand } from './commit.js';
import { importCommand } from './import.js';
import { saveCommand } from './save.js';
import { SYSTEM_VERBS } from './system-verbs.js';
import { execCommand } from './exec.js';
import { attachCommand } from './attach.js';
import { topCommand } from './top.js';
import { diffCommand } from './diff.js';
import { cpCommand } from './cp.js';
import { exportCommand } from './export.js';
import { updateCommand } from './update.js';
import { pauseCommand, unpauseCommand } from './pause.js';
import { VOLUME_VERBS } from './volume-verbs.js';
import { buildCommand } from './build.js';
import { pushCommand } from './push.js';
import { loginCommand } from './login.js';
import { logoutCommand } from './logout.js';

/** Every verb of the berth CLI, in the order `berth --help` lists them. */
export const COMMANDS: readonly AnyCommand[] = [
  runCommand,
  psCommand,
  pullCommand,
  buildCommand,
  pushCommand,
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
  loginCommand,
  logoutCommand,
  versionCommand,
  eventsCommand,
  historyCommand,
  saveCommand,
  loadCommand,
  commitCommand,
  importCommand,
  commandGroup('image', 'Manage images', IMAGE_VERBS),
  commandGroup('system', 'Manage berth', SYSTEM_VERBS),
  execCommand,
  attachCommand,
  topCommand,
  diffCommand,
  cpCommand,
  exportCommand,
  updateCommand,
  pauseCommand,
  unpauseCommand,
  commandGroup('volume', 'Manage volumes', VOLUME_VERBS, { list: 'ls', remove: 'rm' }),
];
