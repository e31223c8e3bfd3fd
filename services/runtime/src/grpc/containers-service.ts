import { BerthError, type Handlers } from '@berth/kit';
import { runtime } from '@berth/proto';
import type { ContainerService } from '../domain/container-service.js';
import { containerToProto, endpointConfigIn, filtersFromProto, logEntryToProto, specFromProto } from './convert.js';
import { frameToProto, splitOptions } from './stdio-convert.js';
import type { ExecService } from '../domain/exec-service.js';
import type { VolumeService } from '../domain/volume-service.js';
import type { Container } from '../domain/container.js';
import { execHandlers } from './exec-handlers.js';
import { lifecycleHandlers } from './lifecycle-handlers.js';
import { archiveHandlers } from './archive-handlers.js';

/** runtime.ContainersService: decode, call the domain, encode — nothing else. */
export function containersHandlers(
  containers: ContainerService, execs: ExecService, volumes: VolumeService,
): Partial<Handlers<typeof runtime.ContainersService>> {
  // Inspect's extras: the container's execs and its volumes with their host directories.
  const inspect = (c: Container): runtime.Container => ({
    ...containerToProto(c),
    execIds: { values: execs.idsOf(c.id) },
    volumeMounts: { values: volumes.mountsOf(c).map((m) => ({ name: m.name, source: m.source, destination: m.destination, readOnly: m.readOnly, anonymous: m.anonymous })) },
  });
  return {
    ...execHandlers(execs),
    ...lifecycleHandlers(containers),
    ...archiveHandlers(containers),
    createContainer: async (req) => {
      const { container, warnings } = await containers.create({ name: req.name, spec: specFromProto(req.spec) });
      return { container: containerToProto(container), warnings };
    },
    startContainer: async (req) => containers.start(req.id),
    stopContainer: async (req) =>
      containers.stop(req.id, {
        ...(req.timeoutSeconds !== undefined ? { timeoutSeconds: req.timeoutSeconds } : {}),
        signal: req.signal,
      }),
    restartContainer: async (req) => (await containers.restart(req.id, req.timeoutSeconds), {}),
    killContainer: async (req) => (await containers.kill(req.id, req.signal), {}),
    waitContainer: async (req, ctx) => ({ exitCode: await containers.wait(req.id, req.condition, ctx.signal), error: '' }),
    removeContainer: async (req) => (await containers.remove(req.id, { force: req.force, removeVolumes: req.removeVolumes }), {}),
    getContainer: async (req) => {
      const c = containers.get(req.id);
      return { container: inspect(c) };
    },
    getRuntimeInfo: async () => containers.runtimeInfo(),
    listContainers: async (req) => ({
      containers: containers.list({ all: req.all, limit: req.limit, filters: filtersFromProto(req.filters) }).map(containerToProto),
    }),
    containerLogs: async function* (req, ctx) {
      const records = containers.logs(
        req.id,
        { follow: req.follow, stdout: req.stdout, stderr: req.stderr, since: req.since, until: req.until, tail: req.tail },
        ctx.signal,
      );
      for await (const r of records) yield logEntryToProto(r);
    },
    attachContainer: async function* (reqs, ctx) {
      const { options: o, rest } = await splitOptions(reqs, (r) => r.options, (r) => r.input);
      if (!o) throw new BerthError('invalid_argument', 'the first message must carry the attach options');
      const opts = { stdin: o.stdin, stdout: o.stdout, stderr: o.stderr, logs: o.logs, stream: o.stream };
      for await (const e of containers.attach(o.id, opts, rest, ctx.signal)) {
        yield 'attached' in e ? { attached: true } : { output: frameToProto(e.output) };
      }
    },
    resizeContainer: async (req) => (await containers.resize(req.id, req.height, req.width), {}),
    connectNetwork: async (req) => (await containers.connectNetwork(req.id, endpointConfigIn(req.endpoint)), {}),
    disconnectNetwork: async (req) => (await containers.disconnectNetwork(req.id, req.network, req.force), {}),
  };
}
