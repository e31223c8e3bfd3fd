// Runs every compiled test file (`<package>/dist/**/*.test.js`) with node's test runner.
// Node 20's --test takes no globs, so the files are found here. Arguments filter by path substring.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const packages = ['proto', 'kit', 'fixtures', 'deploy', 'services/registry', 'services/image', 'services/runtime', 'services/network', 'gateway', 'test'];

function find(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out; // a package without a build yet
  }
  for (const e of entries) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) find(p, out);
    else if (e.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = packages
  .flatMap((p) => find(path.join(root, p, 'dist'), []).sort())
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files found (did the build run?)');
  process.exit(1);
}
const concurrency = process.env.BERTH_TEST_CONCURRENCY ?? '1';
// zz-after-suite.test.js judges leaks by what appeared after this moment.
process.env.BERTH_TEST_RUN_STARTED = String(Date.now() - 1000);
const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(r.status ?? 1);
