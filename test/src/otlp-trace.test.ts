// With OTEL_EXPORTER_OTLP_ENDPOINT set, every process exports spans over OTLP/HTTP; one
// `berth run` on the default bridge is one trace across gateway, image, registry, runtime and
// network, and a NATS subscriber joins it from the `start` event's traceparent header.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from 'nats';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth } from './harness/cli.js';
import { startOtlpReceiver, type OtlpReceiver } from './harness/otlp-receiver.js';

let s: TestStack;
let otlp: OtlpReceiver;
let nc: NatsConnection;
before(async () => {
  otlp = await startOtlpReceiver();
  // A short batch delay so spans arrive within the test (the SDK reads OTEL_BSP_* from the env).
  s = await startTestStack({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' } });
  nc = await connect({ servers: s.stack.natsUrl });
});
after(async () => {
  await nc?.close();
  await s?.stop();
  await otlp?.close();
});

test('one run is one trace across the services, joined by the start event subscriber', async () => {
  const starts: string[] = [];
  const sub = nc.subscribe('berth.events.container.start', { callback: (_e, m) => starts.push(m.headers?.get('traceparent') ?? '') });
  await nc.flush();
  const run = await berth(s.socket, ['run', '--rm', '--name', 'traced', s.busybox, 'true']);
  assert.equal(run.code, 0, run.stderr);
  await nc.flush();
  sub.unsubscribe();
  assert.equal(starts.length, 1);
  const [, traceId, parentId] = starts[0]!.split('-');
  assert.match(traceId ?? '', /^[0-9a-f]{32}$/, `traceparent ${starts[0]}`);

  // Each service's spans arrive in its own export batches: wait for the ones asserted below.
  const want: Array<[service: string, span: string]> = [
    ['berth-gateway', 'gateway.container.Create'],
    ['berth-image', 'image.PullImage'],
    ['berth-registry', 'registry.Resolve'],
    ['berth-runtime', 'runtime.StartContainer'],
    ['berth-network', 'network.SetupSandbox'],
  ];
  const inTrace = () => otlp.spans.filter((sp) => sp.traceId === traceId);
  await otlp.waitFor(() => want.every(([svc, name]) => inTrace().some((sp) => sp.service === svc && sp.name === name)) && inTrace().some((sp) => sp.spanId === parentId));
  const spans = inTrace();
  const names = (svc: string) => spans.filter((sp) => sp.service === svc).map((sp) => sp.name);
  assert.ok(names('berth-gateway').includes('gateway.container.Create'), names('berth-gateway').join(', '));
  assert.ok(names('berth-image').includes('image.PullImage'), names('berth-image').join(', '));
  assert.ok(names('berth-registry').includes('registry.Resolve'), names('berth-registry').join(', '));
  assert.ok(names('berth-runtime').includes('runtime.StartContainer'), names('berth-runtime').join(', '));
  assert.ok(names('berth-network').includes('network.SetupSandbox'), names('berth-network').join(', '));
  // The event's traceparent names a span of the trace: the subscriber's span would be its child.
  assert.ok(spans.some((sp) => sp.spanId === parentId), 'the start event was published inside a span of the run');
  const start = spans.find((sp) => sp.spanId === parentId)!;
  assert.equal(start.service, 'berth-runtime');
});
