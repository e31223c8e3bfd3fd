// bench/proxy-server: runs berth's registry service with its pull-through proxy in a process of
// its own (as in production, so the benchmark's HTTP clients do not share its event loop).
// Usage: node bench/proxy-server.mjs <stateRoot> '<proxy settings JSON>'
// Prints one line, {"proxy":"127.0.0.1:PORT"}, once serving; stops on SIGTERM.
import path from 'node:path';
import { loadConfig, createLogger, NullEventPublisher } from '@berth/kit';
import { start } from '@berth/registry';

const [stateRoot, settings] = process.argv.slice(2);
const config = loadConfig({
  env: {},
  file: null,
  overrides: { stateRoot, runRoot: stateRoot, addresses: { registry: `unix://${path.join(stateRoot, 'registry.sock')}` } },
});
const logger = createLogger({ service: 'registry', level: 'warn' });
const service = await start(config, { logger, events: new NullEventPublisher() }, { proxy: JSON.parse(settings) });
process.stdout.write(`${JSON.stringify({ proxy: service.proxyAddress })}\n`);
process.once('SIGTERM', () => {
  service.close().finally(() => process.exit(0));
});
