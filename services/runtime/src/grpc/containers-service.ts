import type { Handlers } from '@berth/kit';
import { runtime } from '@berth/proto';
import type { ContainerService } from '../domain/container-service.js';
import { containerToProto, filtersFromProto, logEntryToProto, specFromProto } from './convert.js';

/** runtime.ContainersService: decode, call the domain, encode — nothing else. */
export function containersHandlers(containers: ContainerService): Partial<Handlers<typeof runtime.ContainersService>> {
  return {
    createContainer: async (req) => {
      const { container, warnings } = await containers.create({ name: req.name, spec: specFromProto(req.spec) });
      return { container: containerToProto(container), warnings };
    },
    startContainer: async (req) => (await containers.start(req.id), {}),
    stopContainer: async (req) =>
      containers.stop(req.id, {
        ...(req.timeoutSeconds !== undefined ? { timeoutSeconds: req.timeoutSeconds } : {}),
        signal: req.signal,
      }),
    restartContainer: async (req) => (await containers.restart(req.id, req.timeoutSeconds), {}),
    killContainer: async (req) => (await containers.kill(req.id, req.signal), {}),
    waitContainer: async (req, ctx) => ({ exitCode: await containers.wait(req.id, req.condition, ctx.signal), error: '' }),
    removeContainer: async (req) => (await containers.remove(req.id, { force: req.force }), {}),
    getContainer: async (req) => ({ container: containerToProto(containers.get(req.id)) }),
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
  };
}
