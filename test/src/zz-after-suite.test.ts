// Runs last (files run in name order, one at a time): after every package's tests, nothing berth
// created in a test is left on the host — mounts, conmon processes, cgroups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conmonsUnder, mountsUnder } from './harness/leaks.js';

const tmp = os.tmpdir();

function hierarchies(): string[] {
  const base = '/sys/fs/cgroup';
  return existsSync(path.join(base, 'cgroup.controllers')) ? [base] : readdirSync(base).map((d) => path.join(base, d));
}

test('no mounts under the temp dir', () => {
  const left = mountsUnder(tmp).filter((m) => /berth|brt-/.test(m));
  assert.deepEqual(left, []);
});

test('no conmon processes of test stacks', () => {
  assert.deepEqual(conmonsUnder(tmp), []);
});

test('no cgroups of test stacks, and no empty (leaked) container cgroups under berth parents', () => {
  const leaked: string[] = [];
  for (const h of hierarchies()) {
    if (!existsSync(h)) continue;
    for (const parent of readdirSync(h)) {
      if (!parent.startsWith('berth')) continue;
      const dir = path.join(h, parent);
      if (/^berth-(e2e|trace|bench)-/.test(parent)) leaked.push(dir);
      for (const child of readdirSync(dir, { withFileTypes: true })) {
        if (!child.isDirectory()) continue;
        const procs = path.join(dir, child.name, 'cgroup.procs');
        // A live container (of a stack a developer runs) has processes; an empty one was leaked.
        if (existsSync(procs) && readFileSync(procs, 'utf8').trim() === '') leaked.push(path.join(dir, child.name));
      }
    }
  }
  assert.deepEqual(leaked, []);
});
