import { BerthError } from '@berth/kit';
import type { Resources } from './container.js';

/** Docker's floor for --memory: below it the runtime itself cannot start. */
const MIN_MEMORY = 6 * 1024 * 1024;

/** Docker's checks of resource limits (create and update). */
export function validateResources(r: Resources): void {
  if (r.memory && r.memory < MIN_MEMORY) throw new BerthError('invalid_argument', 'Minimum memory limit allowed is 6MB');
  if (r.memorySwap && r.memorySwap > 0) {
    if (!r.memory) throw new BerthError('invalid_argument', 'You should always set the Memory limit when using Memoryswap limit, see usage');
    if (r.memorySwap < r.memory) throw new BerthError('invalid_argument', 'Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (r.memoryReservation && r.memory && r.memoryReservation > r.memory) {
    throw new BerthError('invalid_argument', 'Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (r.nanoCpus && (r.cpuQuota || r.cpuPeriod)) {
    throw new BerthError('invalid_argument', 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  if (r.nanoCpus && r.nanoCpus < 0.01e9) throw new BerthError('invalid_argument', 'Range of CPUs is from 0.01 to the number of CPUs available');
  if (r.cpuPeriod && (r.cpuPeriod < 1000 || r.cpuPeriod > 1_000_000)) {
    throw new BerthError('invalid_argument', 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1 second (i.e. 1000000)');
  }
  if (r.cpuQuota && r.cpuQuota > 0 && r.cpuQuota < 1000) throw new BerthError('invalid_argument', 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (r.blkioWeight && (r.blkioWeight < 10 || r.blkioWeight > 1000)) {
    throw new BerthError('invalid_argument', 'Range of blkio weight is from 10 to 1000');
  }
  if (r.cpusetCpus && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(r.cpusetCpus)) {
    throw new BerthError('invalid_argument', `Invalid value ${r.cpusetCpus} for cpuset cpus`);
  }
}
