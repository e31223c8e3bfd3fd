#!/usr/bin/env node
import { runService } from '@berth/kit';
import { start } from './index.js';

// berth-gateway: config → logger → telemetry → start → drain on SIGTERM/SIGINT (kit's runService).
await runService({
  name: 'gateway',
  env: process.env,
  start: (config, { logger }) => start(config, { logger, gitCommit: process.env['BERTH_GIT_COMMIT'] ?? '' }),
});
