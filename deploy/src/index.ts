export { startStack, stopStack, launchService, pingGateway, SERVICES, type Stack, type StackOptions } from './stack.js';
export { makeCerts, DEFAULT_CERT_NAMES, type CertFiles, type MakeCertsOptions } from './cert-authority.js';
export { purgeStack, type PurgeReport } from './purge.js';
