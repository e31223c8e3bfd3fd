import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DockerEvent } from '@berth/kit';
import { eventFilter, parseEventTime } from './event-filters.js';
import { parseFilters } from './filters.js';
import { formatEvent, prettyEvent } from '../../cli/commands/events.js';

const ev = (Type: string, Action: string, ID: string, Attributes: Record<string, string> = {}): DockerEvent => ({
  Type, Action, Actor: { ID, Attributes }, scope: 'local', time: 1700000000, timeNano: 1700000000123456789,
});
const start = ev('container', 'start', 'abcdef0123', { name: 'web', image: 'busybox:latest', tier: 'front' });
const pull = ev('image', 'pull', 'busybox:latest', { name: 'busybox' });
const connect = ev('network', 'connect', 'n1', { name: 'bridge', type: 'bridge', container: 'abcdef0123' });
const execStart = ev('container', 'exec_start: sh -c true', 'abcdef0123', { name: 'web' });
const keep = (filters: Record<string, string[]>, events: DockerEvent[]) => events.filter(eventFilter(parseFilters(JSON.stringify(filters))));

test("Docker's event filters", () => {
  const all = [start, pull, connect, execStart];
  assert.deepEqual(keep({}, all), all);
  assert.deepEqual(keep({ type: ['image'] }, all), [pull]);
  assert.deepEqual(keep({ type: ['image', 'network'] }, all), [pull, connect]);
  assert.deepEqual(keep({ event: ['start'] }, all), [start]);
  assert.deepEqual(keep({ event: ['exec_start'] }, all), [execStart], 'exec_start matches by prefix');
  assert.deepEqual(keep({ container: ['web'] }, all), [start, execStart], 'by name; other types drop out');
  assert.deepEqual(keep({ container: ['abcd'] }, all), [start, execStart], 'by id prefix');
  assert.deepEqual(keep({ container: ['nope'] }, all), []);
  assert.deepEqual(keep({ image: ['busybox'] }, all), [start, pull], 'tag stripped, container image attribute');
  assert.deepEqual(keep({ network: ['bridge'] }, all), [connect]);
  assert.deepEqual(keep({ label: ['tier=front'] }, all), [start]);
  assert.deepEqual(keep({ label: ['tier'] }, all), [start]);
  assert.deepEqual(keep({ daemon: ['x'] }, all), []);
  assert.deepEqual(keep({ type: ['container'], event: ['start', 'die'], container: ['web'] }, all), [start]);
  assert.throws(() => keep({ bogus: ['x'] }, all), /invalid filter 'bogus'/);
});

test('since/until: unix seconds with fractions, RFC 3339, durations before now', () => {
  assert.equal(parseEventTime(null, 'since'), undefined);
  assert.equal(parseEventTime('1700000000', 'since')!.getTime(), 1700000000000);
  assert.equal(parseEventTime('1700000000.123456789', 'since')!.getTime(), 1700000000123);
  assert.equal(parseEventTime('2023-11-14T22:13:20Z', 'since')!.getTime(), 1700000000000);
  assert.equal(parseEventTime('1h30m', 'since', 10_000_000)!.getTime(), 10_000_000 - 5_400_000);
  assert.throws(() => parseEventTime('yesterday', 'until'), /invalid value for until/);
});

test('berth events prints Docker lines, json, and templates', () => {
  assert.equal(prettyEvent(start), '2023-11-14T22:13:20.123456768Z container start abcdef0123 (image=busybox:latest, name=web, tier=front)\n');
  assert.equal(formatEvent('{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.ID}}', { ...start, id: 'abcdef0123' }), 'container start web abcdef0123\n');
  assert.deepEqual(JSON.parse(formatEvent('json', pull)), pull);
  assert.deepEqual(JSON.parse(formatEvent('{{json .Actor}}', pull)), pull.Actor);
});
