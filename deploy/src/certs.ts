#!/usr/bin/env node
// berth-certs: a CA and per-service certificates for TCP + mutual TLS deployments.
//   node deploy/dist/certs.js <dir> [names…]     (default names: image registry runtime network gateway client)
// Then, per host: BERTH_TLS_CA=<dir>/ca.pem BERTH_TLS_CERT=<dir>/<name>.pem BERTH_TLS_KEY=<dir>/<name>-key.pem;
// the docker CLI: docker --tlsverify --tlscacert ca.pem --tlscert client.pem --tlskey client-key.pem -H tcp://HOST:PORT
import { DEFAULT_CERT_NAMES, makeCerts } from './cert-authority.js';

async function main(argv: string[]): Promise<number> {
  const alt: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--san') alt.push(argv[++i] ?? '');
    else rest.push(argv[i]!);
  }
  const [dir, ...names] = rest;
  if (!dir || dir.startsWith('-')) {
    process.stderr.write('usage: berth-certs <dir> [--san DNS:name|IP:addr]… [names…]\n');
    return 2;
  }
  const made = await makeCerts(dir, names.length ? names : DEFAULT_CERT_NAMES, { altNames: alt.filter(Boolean) });
  for (const [name, files] of Object.entries(made)) process.stdout.write(`${name}: ${files.cert} ${files.key}\n`);
  process.stdout.write(`CA: ${Object.values(made)[0]?.ca ?? dir + '/ca.pem'}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`berth-certs: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
