export * from './health.module';
export * from './public-route';
export * from './readiness.registry';
