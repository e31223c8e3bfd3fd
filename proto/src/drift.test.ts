// The committed ts-proto output must be exactly what the .proto files generate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const protoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function files(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? files(p, base) : [path.relative(base, p)];
  });
}

test('proto/gen matches the .proto files (run `npm run proto:gen` after changing a contract)', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'berth-proto-'));
  try {
    execFileSync('bash', [path.join(protoRoot, 'scripts/generate.sh'), out], { stdio: 'pipe' });
    const committed = files(path.join(protoRoot, 'gen')).sort();
    const fresh = files(out).sort();
    assert.deepEqual(committed, fresh, 'the set of generated files differs');
    for (const f of fresh) {
      const a = readFileSync(path.join(protoRoot, 'gen', f), 'utf8');
      const b = readFileSync(path.join(out, f), 'utf8');
      assert.ok(a === b, `proto/gen/${f} is stale`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
