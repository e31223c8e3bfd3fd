#!/usr/bin/env node
// berth-registry: config → logger → telemetry → start → drain on SIGTERM (kit's runService).
import { runService } from '@berth/kit';
import { start } from './index.js';

await runService({ name: 'registry', env: process.env, start });
