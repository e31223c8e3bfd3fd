import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeCerts } from '@berth/deploy';
import { freePort } from '@berth/fixtures';
import { purgeNetworkState } from '@berth/network';
import { startTestStack, type TestStack } from './stack.js';
import { unmountUnder } from './leaks.js';

export const MTLS_SERVICES = ['registry', 'network', 'image', 'runtime'] as const;

export interface MtlsStack {
  s: TestStack;
  /** CA, per-name certificates (services, gateway, client) and a foreign CA's `intruder`. */
  certs: string;
  foreign: string;
  addresses: Record<string, string>;
  /** The gateway's TCP + mutual TLS listener. */
  gatewayTcp: string;
  stop(): Promise<void>;
}

/**
 * The services as separate processes that reach each other only over TCP + mutual TLS on
 * loopback ports, each with its own state and run roots (as on separate hosts), and the gateway
 * with its unix socket plus a TCP listener that requires client certificates.
 */
export async function startMtlsStack(extraEnv: Record<string, string> = {}): Promise<MtlsStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-mtls-'));
  const certs = path.join(dir, 'certs');
  const foreign = path.join(dir, 'foreign');
  try {
    await makeCerts(certs, [...MTLS_SERVICES, 'gateway', 'client']);
    await makeCerts(foreign, ['intruder'], { caName: 'another CA' });
    const addresses: Record<string, string> = {};
    const env: Record<string, string> = { BERTH_TLS_CA: path.join(certs, 'ca.pem'), ...extraEnv };
    for (const name of MTLS_SERVICES) {
      addresses[name] = `127.0.0.1:${await freePort()}`;
      env[`BERTH_${name.toUpperCase()}_ADDRESS`] = addresses[name]!;
    }
    const gatewayTcp = `127.0.0.1:${await freePort()}`;
    const perService: Record<string, Record<string, string>> = {};
    for (const name of [...MTLS_SERVICES, 'gateway']) {
      perService[name] = {
        BERTH_STATE_ROOT: path.join(dir, name, 'state'),
        BERTH_RUN_ROOT: path.join(dir, name, 'run'),
        BERTH_TLS_CERT: path.join(certs, `${name}.pem`),
        BERTH_TLS_KEY: path.join(certs, `${name}-key.pem`),
      };
    }
    perService.gateway!.BERTH_GATEWAY_TCP = gatewayTcp;
    const s = await startTestStack({ env, perService });
    return {
      s,
      certs,
      foreign,
      addresses,
      gatewayTcp,
      async stop() {
        try {
          await s.stop();
          await purgeNetworkState(s.stack.configs.network!);
        } finally {
          await unmountUnder(dir);
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
