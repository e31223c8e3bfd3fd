import { chmod, mkdir, mkdtemp, rm, writeFile, access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { runCommand } from '@berth/kit';

/** The names `berth-certs` makes certificates for by default: the services, the gateway and one client. */
export const DEFAULT_CERT_NAMES = ['image', 'registry', 'runtime', 'network', 'gateway', 'client'] as const;

export interface CertFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface MakeCertsOptions {
  /** Extra subjectAltNames (`DNS:host.example`, `IP:10.0.0.5`) for every certificate. */
  altNames?: string[];
  /** Days the leaf certificates are valid (the CA: ten years). */
  days?: number;
  /** The CA's common name (tests make a second, foreign CA with another name). */
  caName?: string;
}

const exists = (p: string) => access(p).then(() => true, () => false);
const openssl = (args: string[]) => runCommand('openssl', args, { timeoutMs: 30_000 });

/**
 * A private CA for one berth deployment and one certificate per name, signed by it, for both
 * sides of mutual TLS (extendedKeyUsage serverAuth + clientAuth; SAN 127.0.0.1, ::1, localhost,
 * this host's name, the name itself). Files: `ca.pem`, `ca-key.pem`, `<name>.pem`, `<name>-key.pem`
 * (keys 0600). An existing CA in dir is reused, so names can be added later. ECDSA P-256 keys,
 * made with the `openssl` binary (argv only, through kit's command wrapper).
 */
export async function makeCerts(dir: string, names: readonly string[] = DEFAULT_CERT_NAMES, options: MakeCertsOptions = {}): Promise<Record<string, CertFiles>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = path.join(dir, 'ca.pem');
  const caKey = path.join(dir, 'ca-key.pem');
  if (!(await exists(ca)) || !(await exists(caKey))) {
    await openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', caKey, '-out', ca, '-days', '3650', '-subj', `/CN=${options.caName ?? 'berth CA'}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await chmod(caKey, 0o600);
  }
  const work = await mkdtemp(path.join(os.tmpdir(), 'berth-certs-'));
  const out: Record<string, CertFiles> = {};
  try {
    for (const name of names) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`invalid certificate name: ${name}`);
      const cert = path.join(dir, `${name}.pem`);
      const key = path.join(dir, `${name}-key.pem`);
      const csr = path.join(work, `${name}.csr`);
      const ext = path.join(work, `${name}.ext`);
      const san = ['IP:127.0.0.1', 'IP:::1', 'DNS:localhost', `DNS:${os.hostname()}`, `DNS:${name}`, ...(options.altNames ?? [])];
      await writeFile(ext, [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth,clientAuth',
        `subjectAltName=${[...new Set(san)].join(',')}`,
        '',
      ].join('\n'));
      await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
      await chmod(key, 0o600);
      await openssl([
        'x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-set_serial', `0x${randomBytes(12).toString('hex')}`,
        '-days', String(options.days ?? 825), '-sha256', '-extfile', ext, '-out', cert,
      ]);
      out[name] = { ca, cert, key };
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return out;
}
