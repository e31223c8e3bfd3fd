// The berth contracts: generated code lives in ../gen (never edited by hand); this index only re-exports.
export * as health from '../gen/grpc/health/v1/health.js';
export * as types from '../gen/berth/types/v1/types.js';
export * as registry from '../gen/berth/registry/v1/registry.js';
export * as image from '../gen/berth/image/v1/image.js';
export * as runtime from '../gen/berth/runtime/v1/runtime.js';
export * as network from '../gen/berth/network/v1/network.js';
export * as events from '../gen/berth/events/v1/events.js';
