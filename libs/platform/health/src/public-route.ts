import { SetMetadata } from '@nestjs/common';

/**
 * Metadata key that exempts a route from the global access-token guard. It lives here, in the lowest lib
 * that needs it, so operational controllers (health, metrics) can be public without depending on the auth
 * lib; `@Public()` from `@emporium/platform/auth` sets the same key.
 */
export const PUBLIC_ROUTE_KEY = 'emporium:public';

export const PublicRoute = (): ClassDecorator & MethodDecorator => SetMetadata(PUBLIC_ROUTE_KEY, true);
