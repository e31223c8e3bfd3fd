// bench/run-latency: start+exit of `true` in busybox with --network none, image present.
// berth (through the stock docker CLI and through its own CLI) beside raw `runc run` of an
// equivalent bundle (umoci unpack of the same image), in one run; prints medians and ratios.
// Usage: node bench/run-latency.mjs [runs]
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { writeOciLayout, busyboxImage } from '@berth/fixtures';
import { benchStack, hyperfine, table } from './lib.mjs';

const runs = Number(process.argv[2] ?? 30);
const b = await benchStack();
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-runc-'));
try {
  // The same image as a runc bundle.
  // umoci reads OCI layouts: the same busybox content, in OCI format.
  const oci = await busyboxImage({ format: 'oci' });
  await writeOciLayout(path.join(work, 'layout'), oci, 'latest');
  await oci.dispose();
  execFileSync('umoci', ['unpack', '--image', `${path.join(work, 'layout')}:latest`, path.join(work, 'bundle')], { stdio: 'ignore' });
  const cfgPath = path.join(work, 'bundle', 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  cfg.process.args = ['true'];
  cfg.process.terminal = false;
  cfg.linux.namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }];
  delete cfg.process.rlimits; // no CAP_SYS_RESOURCE here: runc cannot raise limits
  writeFileSync(cfgPath, JSON.stringify(cfg));

  const dockerEnv = `DOCKER_HOST=unix://${b.socket}`;
  execFileSync('/usr/local/bin/docker', ['pull', '-q', b.busybox], { env: { PATH: process.env.PATH, DOCKER_HOST: `unix://${b.socket}` }, stdio: 'ignore' });
  const medians = hyperfine(
    {
      'runc run': `runc run --bundle ${path.join(work, 'bundle')} bench-runc`,
      'berth (docker CLI)': `env ${dockerEnv} /usr/local/bin/docker run --rm --network none ${b.busybox} true`,
      'berth (berth CLI)': `env BERTH_HOST=unix://${b.socket} ${process.execPath} ${path.resolve('gateway/dist/cli/main.js')} run --rm --network none ${b.busybox} true`,
    },
    { runs },
  );
  table('run-latency: start+exit of `true`, --network none, image present', medians, 'runc run');
} finally {
  await b.stop();
  rmSync(work, { recursive: true, force: true });
}
