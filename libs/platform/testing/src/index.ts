export * from './consul-double';
export * from './service-process';
export * from './tcp-proxy';
export * from './test-broker';
export * from './test-database';
export * from './test-token-issuer';
