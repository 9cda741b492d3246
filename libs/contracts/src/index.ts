// Payload classes use class-transformer decorators, which need the metadata API loaded.
import 'reflect-metadata';

export * from './events';
export * from './grpc';
export * from './money';
export * from './product/product.events';
export * from './user/user.events';
export * from './user/user.grpc';
