export { startStack, stopStack, launchService, pingGateway, SERVICES, type Stack, type StackOptions } from './stack.js';
