export * from './tcp-proxy';
export * from './test-app';
export * from './test-database';
export * from './test-token-issuer';
