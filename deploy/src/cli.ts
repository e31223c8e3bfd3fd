#!/usr/bin/env node
// berth-stack: brings the whole stack up on this host (npm start) or stops it (npm stop).
import { startStack, stopStack } from './stack.js';

async function main(argv: string[]): Promise<number> {
  const verb = argv[0] ?? 'start';
  if (verb === 'start') {
    await stopStack(process.env, { nats: false }); // a re-run restarts services on the new build
    const stack = await startStack({ env: process.env, detached: true });
    const host = `unix://${stack.socket}`;
    process.stdout.write(
      [
        `berth is up: NATS ${stack.natsUrl}, services ${stack.processes.map((p) => `${p.name}(${p.pid})`).join(' ')}`,
        `logs: ${stack.logDir}`,
        '',
        'Use it with the berth CLI or the stock docker CLI:',
        `  npx berth version            # or: node gateway/dist/cli/main.js version`,
        `  DOCKER_HOST=${host} docker info`,
        `  berth run --rm <registry>/busybox echo hello`,
        'Stop the services with `npm stop` (containers keep running).',
        '',
      ].join('\n'),
    );
    return 0;
  }
  if (verb === 'stop' && argv.includes('--purge')) {
    const { purgeStack } = await import('./purge.js'); // loads the network service's code only when asked
    const r = await purgeStack(process.env, { nats: argv.includes('--nats') });
    process.stdout.write(`removed ${r.containers.length} container(s); stopped: ${r.stopped.join(' ') || 'nothing was running'}; bridges, iptables chains and netns files removed\n`);
    if (r.busyCgroups.length > 0) {
      process.stderr.write(`cgroups still in use (left alone): ${r.busyCgroups.join(' ')}\n`);
      return 1;
    }
    return 0;
  }
  if (verb === 'stop') {
    const stopped = await stopStack(process.env, { nats: argv.includes('--nats') });
    process.stdout.write(`stopped: ${stopped.join(' ') || 'nothing was running'}\n`);
    return 0;
  }
  process.stderr.write('usage: berth-stack start | stop [--nats] [--purge]\n');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`berth-stack: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
