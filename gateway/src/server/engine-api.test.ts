import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { startInMemoryStack, type InMemoryStack } from './testing/in-memory-stack.js';
import { call } from './testing/http-client.js';
import { FrameDecoder } from '../stream/multiplexed-stream.js';

describe('engine API over a unix socket (in-memory services behind real gRPC)', () => {
  let stack: InMemoryStack;
  let sock: string;
  before(async () => {
    stack = await startInMemoryStack();
    sock = stack.socketPath;
  });
  after(() => stack.close());

  test('the socket has mode 0660', () => {
    assert.equal(statSync(sock).mode & 0o777, 0o660);
  });

  test('_ping answers OK with the negotiation headers, with and without a version prefix', async () => {
    for (const path of ['/_ping', '/v1.45/_ping', '/v1.50/_ping']) {
      const res = await call(sock, 'GET', path);
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), 'OK');
      assert.equal(res.headers['api-version'], '1.45');
      assert.match(String(res.headers['server']), /^berth\//);
      assert.equal(res.headers['docker-experimental'], 'false');
      assert.equal(res.headers['ostype'], 'linux');
    }
    const head = await call(sock, 'HEAD', '/_ping');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
  });

  test('old API versions, unknown routes and bad JSON are Docker\'s errors', async () => {
    const old = await call(sock, 'GET', '/v1.12/version');
    assert.equal(old.status, 400);
    assert.match(old.json().message, /too old/);
    const missing = await call(sock, 'GET', '/v1.45/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { message: 'page not found' });
    const bad = await call(sock, 'POST', '/containers/create', '{"Image":');
    assert.equal(bad.status, 400);
    assert.match(bad.json().message, /^invalid JSON/);
  });

  test('version and info', async () => {
    const v = (await call(sock, 'GET', '/v1.45/version')).json();
    assert.equal(v.Platform.Name, 'berth');
    assert.equal(v.ApiVersion, '1.45');
    const info = (await call(sock, 'GET', '/v1.45/info')).json();
    assert.equal(info.Driver, 'overlay2');
    assert.equal(info.Containers, 0);
  });

  test('a missing image is Docker\'s exact 404; pulling streams progress; create then works', async () => {
    const body = { Image: 'hello-world', HostConfig: { NetworkMode: 'none' } };
    const missing = await call(sock, 'POST', '/v1.45/containers/create', body);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { message: 'No such image: hello-world:latest' });

    const pull = await call(sock, 'POST', '/v1.45/images/create?fromImage=hello-world&tag=latest');
    assert.equal(pull.status, 200);
    const lines = pull.body.toString().trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines[0], { status: 'Pulling from library/hello-world', id: 'latest' });
    assert.ok(lines.some((l) => l.status === 'Downloading' && l.progressDetail.total === 2000 && typeof l.progress === 'string'));
    assert.equal(lines.at(-1).status, 'Status: Downloaded newer image for hello-world:latest');

    const again = (await call(sock, 'POST', '/images/create?fromImage=hello-world&tag=latest')).body.toString();
    assert.match(again, /Image is up to date for hello-world:latest/);

    const unknown = await call(sock, 'POST', '/images/create?fromImage=nothere&tag=latest');
    assert.equal(unknown.status, 404, 'an error before any progress is an HTTP error');

    const created = await call(sock, 'POST', '/v1.45/containers/create?name=hello', body);
    assert.equal(created.status, 201);
    assert.match(created.json().Id, /^[0-9a-f]{64}$/);
    assert.deepEqual(created.json().Warnings, []);

    const conflict = await call(sock, 'POST', '/v1.45/containers/create?name=hello', body);
    assert.equal(conflict.status, 409);
    const badName = await call(sock, 'POST', '/v1.45/containers/create?name=-x', body);
    assert.equal(badName.status, 400);
  });

  test('images: list, inspect, tag, remove', async () => {
    const list = (await call(sock, 'GET', '/images/json')).json();
    assert.equal(list.length, 1);
    assert.deepEqual(list[0].RepoTags, ['hello-world:latest']);
    assert.equal(list[0].SharedSize, -1);
    const inspect = await call(sock, 'GET', '/v1.45/images/hello-world/json');
    assert.equal(inspect.status, 200);
    assert.deepEqual(inspect.json().RootFS.Type, 'layers');
    assert.equal((await call(sock, 'POST', '/images/hello-world/tag?repo=localhost:5000/hello&tag=v1')).status, 201);
    assert.equal((await call(sock, 'GET', '/images/localhost:5000/hello:v1/json')).status, 200);
    const rmi = await call(sock, 'DELETE', '/images/localhost:5000/hello:v1');
    assert.deepEqual(rmi.json(), [{ Untagged: 'localhost:5000/hello:v1' }]);
    assert.equal((await call(sock, 'GET', '/images/nope/json')).status, 404);
  });

  test('container lifecycle: start, wait, logs (framed), inspect, list, remove', async () => {
    const id = (await call(sock, 'POST', '/containers/create?name=echo', { Image: 'hello-world', Cmd: ['hi', 'err'] })).json().Id;
    const waiting = call(sock, 'POST', `/v1.45/containers/${id}/wait?condition=next-exit`);
    assert.equal((await call(sock, 'POST', `/v1.45/containers/${id}/start`)).status, 204);
    assert.deepEqual((await waiting).json(), { StatusCode: 0 });
    assert.equal((await call(sock, 'POST', `/containers/${id}/stop`)).status, 304);

    const logs = await call(sock, 'GET', `/containers/echo/logs?stdout=1&stderr=1`);
    assert.equal(logs.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
    const frames = new FrameDecoder().push(logs.body);
    assert.deepEqual(frames.map((f) => [f.stream, f.payload.toString()]), [
      [1, 'hi err\n'],
      [2, 'err\n'],
    ]);
    assert.equal((await call(sock, 'GET', `/containers/echo/logs`)).status, 400);

    const inspect = (await call(sock, 'GET', `/containers/echo/json`)).json();
    assert.equal(inspect.Name, '/echo');
    assert.equal(inspect.State.Status, 'exited');
    assert.equal(inspect.State.ExitCode, 0);
    assert.equal(inspect.Config.Image, 'hello-world');

    const running = (await call(sock, 'GET', '/containers/json')).json();
    assert.ok(!running.some((c: any) => c.Id === id));
    const all = (await call(sock, 'GET', '/containers/json?all=1')).json();
    const entry = all.find((c: any) => c.Id === id);
    assert.deepEqual(entry.Names, ['/echo']);
    assert.match(entry.Status, /^Exited \(0\) /);

    assert.equal((await call(sock, 'POST', `/containers/${id}/kill`)).status, 409);
    assert.equal((await call(sock, 'DELETE', `/containers/${id}`)).status, 204);
    assert.equal((await call(sock, 'GET', `/containers/${id}/json`)).status, 404);
    assert.equal((await call(sock, 'POST', `/containers/${id}/wait?condition=bogus`)).status, 400);
  });

  test('start twice is 304; stop of a running container is 204', async () => {
    const id = (await call(sock, 'POST', '/containers/create', { Image: 'hello-world', Cmd: ['sleep', '60'] })).json().Id;
    assert.equal((await call(sock, 'POST', `/containers/${id}/start`)).status, 204);
    assert.equal((await call(sock, 'POST', `/containers/${id}/start`)).status, 304);
    assert.equal((await call(sock, 'DELETE', `/containers/${id}`)).status, 409);
    assert.equal((await call(sock, 'POST', `/containers/${id}/stop?t=1`)).status, 204);
    assert.equal((await call(sock, 'DELETE', `/containers/${id}?force=1`)).status, 204);
  });
});
