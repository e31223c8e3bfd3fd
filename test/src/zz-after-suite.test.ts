// Runs last (files run in name order, one at a time): after every package's tests, nothing berth
// created in a test is left on the host — mounts, conmon processes, cgroups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conmonsUnder, mountsUnder } from './harness/leaks.js';

const tmp = os.tmpdir();
// Only what this test run could have made: scripts/run-tests.mjs records when it started.
const runStarted = Number(process.env.BERTH_TEST_RUN_STARTED ?? 0);
const madeThisRun = (p: string) => statSync(p).ctimeMs >= runStarted;

function hierarchies(): string[] {
  const base = '/sys/fs/cgroup';
  return existsSync(path.join(base, 'cgroup.controllers')) ? [base] : readdirSync(base).map((d) => path.join(base, d));
}

test('no mounts under the temp dir', () => {
  const left = mountsUnder(tmp).filter((m) => /berth-(e2e|trace|image|net)|brt-/.test(m));
  assert.deepEqual(left, []);
});

test('no conmon processes of test stacks', () => {
  // Benchmarks (bench/, temp dirs named berth-bench-*) may run beside the suite on a developer's machine.
  const mine = conmonsUnder(tmp).filter((pid) => !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('berth-bench-'));
  assert.deepEqual(mine, []);
});

test('no cgroups of test stacks, and no empty (leaked) container cgroups under berth parents', () => {
  const leaked: string[] = [];
  for (const h of hierarchies()) {
    if (!existsSync(h)) continue;
    for (const parent of readdirSync(h)) {
      if (!parent.startsWith('berth')) continue;
      const dir = path.join(h, parent);
      if (/^berth-(e2e|trace)-/.test(parent) && madeThisRun(dir)) leaked.push(dir);
      for (const child of readdirSync(dir, { withFileTypes: true })) {
        if (!child.isDirectory()) continue;
        const procs = path.join(dir, child.name, 'cgroup.procs');
        // A live container (of a stack a developer runs) has processes; an empty one was leaked.
        const cg = path.join(dir, child.name);
        if (existsSync(procs) && readFileSync(procs, 'utf8').trim() === '' && madeThisRun(cg)) leaked.push(cg);
      }
    }
  }
  assert.deepEqual(leaked, []);
});
