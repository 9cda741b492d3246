import { Controller, ExecutionContext, ForbiddenException, Get, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { AccessTokenGuard } from './access-token.guard';
import { AccessTokenVerifier } from './access-token-verifier';
import { Public, Roles } from './auth.decorators';
import {
  AccessTokenKeysUnavailableException,
  InvalidAccessTokenException,
  MissingAccessTokenException,
} from './auth.exceptions';
import { AuthenticatedUser, Role } from './authenticated-user';

@Controller()
class MixedController {
  @Public()
  @Get('open')
  open(): string {
    return 'open';
  }

  @Get('mine')
  mine(): string {
    return 'mine';
  }

  @Roles('admin')
  @Get('admin')
  admin(): string {
    return 'admin';
  }
}

@Public()
@Controller()
class PublicController {
  @Get()
  list(): string {
    return 'list';
  }

  @Roles('admin')
  @Get('locked')
  locked(): string {
    return 'locked';
  }
}

@Roles('admin')
@Controller()
class AdminController {
  @Get()
  list(): string {
    return 'list';
  }

  @Roles('customer', 'admin')
  @Get('shared')
  shared(): string {
    return 'shared';
  }
}

function user(...roles: Role[]): AuthenticatedUser {
  return {
    id: '2b1f4c52-4a47-4d3f-9a53-3c1b8a6f0e11',
    email: 'ada@example.test',
    roles,
    tokenId: 'token-1',
    expiresAt: new Date('2030-01-01T00:00:00Z'),
  };
}

interface FakeHttp {
  request: { headers: Record<string, string | undefined>; user?: AuthenticatedUser };
  response: { headers: Record<string, string>; header(name: string, value: string): void };
  context: ExecutionContext;
}

function httpCall(
  controller: Type<unknown>,
  method: string,
  authorization?: string,
  type: 'http' | 'rpc' = 'http',
): FakeHttp {
  const request = { headers: { authorization } };
  const response = {
    headers: {} as Record<string, string>,
    header(name: string, value: string) {
      this.headers[name] = value;
    },
  };
  const handler = (controller.prototype as Record<string, unknown>)[method] as () => void;
  const context = {
    getType: () => type,
    getClass: () => controller,
    getHandler: () => handler,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
  return { request, response, context };
}

describe(AccessTokenGuard.name, () => {
  let verifier: { verify: jest.Mock };
  let reflector: Reflector;
  let sut: AccessTokenGuard;

  beforeEach(() => {
    verifier = { verify: jest.fn().mockResolvedValue(user('customer')) };
    reflector = new Reflector();
    sut = new AccessTokenGuard(reflector, verifier as unknown as AccessTokenVerifier);
  });

  it('leaves non-HTTP handlers (RPC, broker) alone', async () => {
    const call = httpCall(MixedController, 'mine', undefined, 'rpc');

    await expect(Promise.resolve(sut.canActivate(call.context))).resolves.toBe(true);
    expect(verifier.verify).not.toHaveBeenCalled();
  });

  it('lets a @Public() route through synchronously, without verifying anything', () => {
    const call = httpCall(MixedController, 'open', 'Bearer garbage');

    expect(sut.canActivate(call.context)).toBe(true);
    expect(verifier.verify).not.toHaveBeenCalled();
  });

  it('lets every route of a @Public() controller through', () => {
    expect(sut.canActivate(httpCall(PublicController, 'list').context)).toBe(true);
  });

  it('reads a route’s decorators once, not on every request', () => {
    const lookups = jest.spyOn(reflector, 'getAllAndOverride');

    expect(sut.canActivate(httpCall(MixedController, 'open').context)).toBe(true);
    const first = lookups.mock.calls.length;
    expect(sut.canActivate(httpCall(MixedController, 'open').context)).toBe(true);
    expect(sut.canActivate(httpCall(MixedController, 'open').context)).toBe(true);

    expect(first).toBeGreaterThan(0);
    expect(lookups).toHaveBeenCalledTimes(first);
  });

  it('requires a token for a @Roles() route even inside a @Public() controller', async () => {
    const call = httpCall(PublicController, 'locked');

    await expect(sut.canActivate(call.context)).rejects.toThrow(MissingAccessTokenException);
  });

  it.each([undefined, 'Basic dXNlcjpwYXNz'])(
    'answers %p with 401 and a bare Bearer challenge',
    async (authorization) => {
      const call = httpCall(MixedController, 'mine', authorization);

      await expect(sut.canActivate(call.context)).rejects.toThrow(MissingAccessTokenException);
      expect(call.response.headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
      expect(verifier.verify).not.toHaveBeenCalled();
    },
  );

  it('answers a malformed bearer header with invalid_token, without verifying', async () => {
    const call = httpCall(MixedController, 'mine', 'Bearer ');

    await expect(sut.canActivate(call.context)).rejects.toMatchObject({ reason: 'malformed' });
    expect(call.response.headers).toEqual({ 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    expect(verifier.verify).not.toHaveBeenCalled();
  });

  it('answers a rejected token with invalid_token', async () => {
    verifier.verify.mockRejectedValue(new InvalidAccessTokenException('bad_signature'));
    const call = httpCall(MixedController, 'mine', 'Bearer a.b.c');

    await expect(sut.canActivate(call.context)).rejects.toThrow(InvalidAccessTokenException);
    expect(call.response.headers).toEqual({ 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  });

  it('passes a key-source outage on as 503 without blaming the token', async () => {
    verifier.verify.mockRejectedValue(new AccessTokenKeysUnavailableException());
    const call = httpCall(MixedController, 'mine', 'Bearer a.b.c');

    await expect(sut.canActivate(call.context)).rejects.toThrow(AccessTokenKeysUnavailableException);
    expect(call.response.headers).toEqual({});
  });

  it('puts the verified user on the request', async () => {
    const call = httpCall(MixedController, 'mine', 'Bearer a.b.c');

    await expect(sut.canActivate(call.context)).resolves.toBe(true);
    expect(verifier.verify).toHaveBeenCalledWith('a.b.c');
    expect(call.request.user).toEqual(user('customer'));
  });

  it('forbids (403) an authenticated user without the route’s role', async () => {
    const call = httpCall(MixedController, 'admin', 'Bearer a.b.c');

    await expect(sut.canActivate(call.context)).rejects.toThrow(ForbiddenException);
  });

  it('admits a user holding the route’s role', async () => {
    verifier.verify.mockResolvedValue(user('admin'));

    await expect(sut.canActivate(httpCall(MixedController, 'admin', 'Bearer a.b.c').context)).resolves.toBe(
      true,
    );
  });

  it('applies a controller’s @Roles() to its routes, and a route’s own @Roles() instead where given', async () => {
    await expect(sut.canActivate(httpCall(AdminController, 'list', 'Bearer a.b.c').context)).rejects.toThrow(
      ForbiddenException,
    );
    await expect(sut.canActivate(httpCall(AdminController, 'shared', 'Bearer a.b.c').context)).resolves.toBe(
      true,
    );
  });

  it('sets the challenge on an Express-style response too', async () => {
    const call = httpCall(MixedController, 'mine');
    const headers: Record<string, string> = {};
    const express = { setHeader: (name: string, value: string) => (headers[name] = value) };
    const context = {
      ...call.context,
      switchToHttp: () => ({ getRequest: () => call.request, getResponse: () => express }),
    } as unknown as ExecutionContext;

    await expect(sut.canActivate(context)).rejects.toThrow(MissingAccessTokenException);
    expect(headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
  });
});
