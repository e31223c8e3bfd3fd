#!/usr/bin/env node
import { runService } from '@berth/kit';
import { start } from './index.js';

await runService({ name: 'image', env: process.env, start });
