import { rm } from 'node:fs/promises';
import { hostname as hostHostname } from 'node:os';
import { BerthError, errorKind, newId } from '@berth/kit';
import { effectiveCapabilities } from '../oci/spec-defaults.js';
import { userMounts } from '../oci/user-mounts.js';
import { Status, ZERO_TIME, type Container, type ContainerSpec, type MountSpec } from './container.js';
import { publish, type RuntimeContext } from './context.js';
import { findContainer } from './lookup.js';
import { parseImageConfig, type ImageInfo } from './image-provider.js';
import { generateName, normalizeName } from './names.js';
import { networkModeOf } from './network-mode.js';
import { initialNetworks } from './network-attach.js';
import { applyImageDefaults, processArgs, validateWorkingDir } from './process-config.js';
import { parseSignal } from './signals.js';
import { nameConflict } from './errors.js';
import { validateResources } from './resource-checks.js';
import { validateRestartPolicy } from './restart-policy.js';
import { validateUlimits } from '../oci/rlimits.js';
import { validateNamespaceModes } from './namespace-modes.js';
import { createContainerVolumes, parseVolumeMounts, removeAnonymousVolumes } from './volume-mounts.js';
import { makeBundleDir } from './bundle.js';
import { validateHealthcheck } from './healthcheck-config.js';
import { nowRfc3339 } from './time.js';
import { stopwatch } from './stopwatch.js';

export interface CreateRequest {
  name: string;
  spec: ContainerSpec;
}

export interface CreateResult {
  container: Container;
  warnings: string[];
}

/**
 * Docker's create: resolve the image, merge its defaults, check everything a start would refuse
 * that can be checked now, reserve the name, prepare the snapshot, store the container. The OCI
 * bundle (config.json, /etc files, the mounted rootfs) is made at start, from what is stored here.
 */
export async function createContainer(ctx: RuntimeContext, req: CreateRequest): Promise<CreateResult> {
  const warnings: string[] = [];
  const t = stopwatch();
  const name = req.name ? normalizeName(req.name) : uniqueName(ctx);
  const holder = ctx.db.nameHolder(name);
  if (holder) throw nameConflict(name, holder);
  // The image and the networks (gRPC to two services, independent: the image's config does not
  // touch the network fields) are looked up at once; a missing image is reported first, as Docker.
  const [found, attached] = await Promise.allSettled([getImage(ctx, req.spec.image), initialNetworks(ctx, req.spec)]);
  const image = settled(found);
  t.lap('image');
  const imageCfg = parseImageConfig(image.config);
  const spec = applyImageDefaults(req.spec, imageCfg);
  validateWorkingDir(spec.workingDir);
  const argv = processArgs(spec);
  effectiveCapabilities(spec, ctx.hostCaps);
  userMounts(spec);
  if (spec.stopSignal) parseSignal(spec.stopSignal);
  validateNamespaceModes(ctx, spec);
  validateResources(spec.resources);
  validateRestartPolicy(spec.restartPolicy, spec.autoRemove);
  validateUlimits(spec.ulimits ?? [], ctx.hostLimits);
  validateHealthcheck(spec);
  const wantedVolumes = parseVolumeMounts(spec, imageCfg.volumes);
  const mode = networkModeOf(spec.networkMode);
  if (mode.kind === 'container') findContainer(ctx, mode.target); // it must exist; it must run only at start
  const id = newId();
  spec.hostname ||= mode.kind === 'host' ? hostHostname() : id.slice(0, 12);
  if (!ctx.seccomp && !spec.privileged) warnings.push('no default seccomp profile on this host: running without one');
  const networks = settled(attached);
  const bundleMade = makeBundleDir(ctx, id, spec.networkMode); // meanwhile (bundle.ts)
  let rootfsMounts: MountSpec[];
  try {
    rootfsMounts = await ctx.images.prepareSnapshot(id, image.id);
  } catch (err) {
    await bundleMade.catch(() => undefined);
    await rm(ctx.paths.bundle(id), { recursive: true, force: true });
    throw err;
  }
  t.lap('snapshot');
  const container: Container = {
    id, name, imageId: image.id, created: nowRfc3339(), spec, path: argv[0]!, args: argv.slice(1), restartCount: 0,
    logPath: ctx.paths.logFile(id), runtime: ctx.runtime.name, imageConfig: image.config, rootfsMounts, netnsPath: '',
    monitorPid: 0, manuallyStopped: false, networks, ports: [],
    state: { status: Status.Created, pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: ZERO_TIME, finishedAt: ZERO_TIME },
  };
  try {
    await bundleMade;
    container.volumes = await createContainerVolumes(ctx, wantedVolumes);
    ctx.db.insert(container);
  } catch (err) {
    await removeAnonymousVolumes(ctx, container.volumes ?? []);
    await rm(ctx.paths.bundle(id), { recursive: true, force: true });
    await ctx.images.removeSnapshot(id).catch((e: unknown) => ctx.logger.warn({ err: e, id }, 'snapshot left behind'));
    throw err;
  }
  t.lap('store');
  ctx.logger.debug({ id, ms: t.laps }, 'container created');
  await publish(ctx, container, 'create');
  return { container, warnings };
}

function settled<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

async function getImage(ctx: RuntimeContext, ref: string): Promise<ImageInfo> {
  if (!ref) throw new BerthError('invalid_argument', 'no image specified');
  try {
    return await ctx.images.getImage(ref);
  } catch (err) {
    if (errorKind(err) === 'not_found') throw new BerthError('not_found', `No such image: ${ref}`, { cause: err });
    throw err;
  }
}

function uniqueName(ctx: RuntimeContext): string {
  for (let retry = 0; retry < 10; retry++) {
    const name = generateName(retry);
    if (!ctx.db.nameHolder(name)) return name;
  }
  throw new BerthError('resource_exhausted', 'could not generate a unique container name');
}
