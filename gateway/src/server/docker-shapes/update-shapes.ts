import type { runtime } from '@berth/proto';
import { asObject, optInt, optString } from './json-fields.js';

/** `POST /containers/{id}/update`: Docker's UpdateConfig (resources and RestartPolicy) → UpdateContainerRequest. */
export function updateFromDocker(id: string, body: unknown): runtime.UpdateContainerRequest {
  const b = asObject(body, 'UpdateConfig');
  const n = (key: string) => optInt(b, key) ?? 0;
  const resources: runtime.Resources = {
    memory: n('Memory'), memorySwap: n('MemorySwap'), nanoCpus: n('NanoCpus'), cpuShares: n('CpuShares'), cpuPeriod: n('CpuPeriod'),
    cpuQuota: n('CpuQuota'), cpusetCpus: optString(b, 'CpusetCpus'), pidsLimit: n('PidsLimit'), blkioWeight: n('BlkioWeight'),
    ...(optString(b, 'CpusetMems') ? { cpusetMems: optString(b, 'CpusetMems') } : {}),
    ...(n('MemoryReservation') ? { memoryReservation: n('MemoryReservation') } : {}),
  };
  const policy = b['RestartPolicy'] === undefined || b['RestartPolicy'] === null ? undefined : asObject(b['RestartPolicy'], 'RestartPolicy');
  return {
    id, resources,
    ...(policy && optString(policy, 'Name') !== '' ? { restartPolicy: { name: optString(policy, 'Name'), maximumRetryCount: optInt(policy, 'MaximumRetryCount') ?? 0 } } : {}),
  };
}
