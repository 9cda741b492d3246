import { DynamicModule, Inject, Module, Provider } from '@nestjs/common';

import { ServiceClient } from './service-client';
import { HTTP_CLIENT_OPTIONS, HttpClientModuleOptions, ServiceClients } from './service-clients';

/** The injection token of a target's client. */
export function serviceClientToken(target: string): string {
  return `emporium:service-client:${target}`;
}

/** Injects the client of a target declared in `HttpClientModule.forRoot({ targets })`. */
export const InjectServiceClient = (target: string): ParameterDecorator & PropertyDecorator =>
  Inject(serviceClientToken(target));

/**
 * Resilient calls to other services. Needs `HttpClientEnv` in the service descriptor's `env`,
 * `DiscoveryModule.forRoot()` (which provides ServiceDiscovery) and `PlatformModule` (metrics).
 *
 * ```ts
 * HttpClientModule.forRoot({ targets: ['product'] })
 * constructor(@InjectServiceClient('product') private readonly product: ServiceClient) {}
 * ```
 */
@Module({})
export class HttpClientModule {
  static forRoot(options: HttpClientModuleOptions = {}): DynamicModule {
    const targets = [...new Set(options.targets ?? [])];
    const perTarget: Provider[] = targets.map((target) => ({
      provide: serviceClientToken(target),
      inject: [ServiceClients],
      useFactory: (clients: ServiceClients): ServiceClient => clients.for(target),
    }));
    return {
      module: HttpClientModule,
      global: true,
      providers: [
        { provide: HTTP_CLIENT_OPTIONS, useValue: { ...options, targets } },
        ServiceClients,
        ...perTarget,
      ],
      exports: [ServiceClients, ...targets.map(serviceClientToken)],
    };
  }
}
