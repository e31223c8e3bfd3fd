import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { TlsFiles } from './grpc-types.js';

const read = (p?: string) => (p ? readFileSync(p) : null);

/** Mutual TLS for a server: clients must present a certificate signed by the CA. */
export function serverCredentials(tls: TlsFiles): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(read(tls.ca), [{ private_key: read(tls.key)!, cert_chain: read(tls.cert)! }], true);
}

export function clientCredentials(tls: TlsFiles): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(read(tls.ca), read(tls.key), read(tls.cert));
}
