import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha) from the .proto files shipped in the
 * proto package: the public contract, so `grpcurl -cacert … 127.0.0.1:PORT list` and generated
 * clients in any language see exactly what berth serves. Each server advertises only its own
 * services (and grpc.health.v1); the descriptors are parsed once per process.
 */
let descriptors: protoLoader.PackageDefinition | undefined;

/** The proto package's root: `berth/<service>/v1/*.proto` and `grpc/health/v1/health.proto`. */
export function protoRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.resolve('@berth/proto'))), '../..');
}

/** Every .proto file under the proto root, relative to it (the import paths the files use). */
export function protoFiles(root = protoRoot()): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const child = path.join(rel, name);
      if (statSync(path.join(root, child)).isDirectory()) walk(child);
      else if (name.endsWith('.proto')) out.push(child);
    }
  };
  for (const top of ['berth', 'grpc']) walk(top);
  return out;
}

function loadDescriptors(): protoLoader.PackageDefinition {
  if (!descriptors) {
    const root = protoRoot();
    descriptors = protoLoader.loadSync(protoFiles(root), { includeDirs: [root], keepCase: true, defaults: true });
  }
  return descriptors;
}

/** Adds the reflection services to server, listing the fully-qualified names in `services`. */
export function addReflection(server: Pick<grpc.Server, 'addService'>, services: string[]): void {
  // The reflection package types its own (older) proto-loader; the descriptor shape is the same.
  const pkg = loadDescriptors() as ConstructorParameters<typeof ReflectionService>[0];
  new ReflectionService(pkg, { services }).addToServer(server);
}
