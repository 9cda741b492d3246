import { SetMetadata } from '@nestjs/common';

// TODO(lead): replace with Public() from @emporium/platform/auth once it lands.
export const PUBLIC_ROUTE = (): ClassDecorator & MethodDecorator => SetMetadata('emporium:public', true);
