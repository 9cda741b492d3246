import {
  AccessTokenVerifier,
  AuthenticatedUser,
  InvalidAccessTokenException,
  MissingAccessTokenException,
  Roles,
} from '@emporium/platform/auth';
import { Metadata } from '@grpc/grpc-js';
import { ExecutionContext, ForbiddenException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { bearerTokenOf, GrpcAccessTokenGuard, grpcCallerFactory } from './grpc-access-token.guard';

const metadataWith = (...authorization: string[]): Metadata => {
  const metadata = new Metadata();
  for (const value of authorization) metadata.add('authorization', value);
  return metadata;
};

describe(bearerTokenOf.name, () => {
  it('reads the token after the Bearer scheme, in any case', () => {
    expect(bearerTokenOf(metadataWith('Bearer abc.def.ghi'))).toBe('abc.def.ghi');
    expect(bearerTokenOf(metadataWith('bearer   abc.def.ghi'))).toBe('abc.def.ghi');
    expect(bearerTokenOf(metadataWith('BEARER abc.def.ghi'))).toBe('abc.def.ghi');
  });

  it('treats no value, and another scheme, as a missing token', () => {
    expect(() => bearerTokenOf(new Metadata())).toThrow(MissingAccessTokenException);
    expect(() => bearerTokenOf(metadataWith('Basic dXNlcjpwYXNz'))).toThrow(MissingAccessTokenException);
    expect(() => bearerTokenOf(metadataWith('Bearerabc'))).toThrow(MissingAccessTokenException);
  });

  it('treats an empty token, several values and binary values as malformed', () => {
    expect(() => bearerTokenOf(metadataWith('Bearer    '))).toThrow(InvalidAccessTokenException);
    expect(() => bearerTokenOf(metadataWith('Bearer a', 'Bearer b'))).toThrow(InvalidAccessTokenException);
    const binary = new Metadata();
    binary.add('authorization-bin', Buffer.from('x'));
    expect(() => bearerTokenOf(binary)).toThrow(MissingAccessTokenException);
  });
});

class Handlers {
  open(): void {
    return undefined;
  }

  @Roles('admin')
  adminOnly(): void {
    return undefined;
  }
}

const EXPIRES_AT = new Date('2030-01-01T00:00:00Z');
const user = (roles: AuthenticatedUser['roles']): AuthenticatedUser => ({
  id: '2f1c4b7e-8a43-4c1e-9a55-0d4c6a1f7b21',
  email: 'ada@example.com',
  roles,
  tokenId: 'jti-1',
  expiresAt: EXPIRES_AT,
});

function rpcContext(metadata: Metadata, handler: keyof Handlers): ExecutionContext {
  return {
    getType: () => 'rpc',
    getHandler: () => Handlers.prototype[handler],
    getClass: () => Handlers,
    switchToRpc: () => ({ getContext: () => metadata, getData: () => ({}) }),
  } as unknown as ExecutionContext;
}

describe(GrpcAccessTokenGuard.name, () => {
  const verify = jest.fn<Promise<AuthenticatedUser>, [string]>();
  const sut = new GrpcAccessTokenGuard(new Reflector(), { verify } as unknown as AccessTokenVerifier);

  beforeEach(() => verify.mockReset());

  it('verifies the token, hands the caller to the handler and removes the token from the metadata', async () => {
    verify.mockResolvedValue(user(['customer']));
    const metadata = metadataWith('Bearer abc.def.ghi');
    await expect(sut.canActivate(rpcContext(metadata, 'open'))).resolves.toBe(true);
    expect(verify).toHaveBeenCalledWith('abc.def.ghi');
    expect(metadata.get('authorization')).toEqual([]);
    expect(grpcCallerFactory(undefined, rpcContext(metadata, 'open'))).toEqual(user(['customer']));
  });

  it('refuses a call without a token before verifying anything', async () => {
    await expect(sut.canActivate(rpcContext(new Metadata(), 'open'))).rejects.toBeInstanceOf(
      MissingAccessTokenException,
    );
    expect(verify).not.toHaveBeenCalled();
  });

  it('passes on what the verifier refuses, and still drops the token', async () => {
    verify.mockRejectedValue(new InvalidAccessTokenException('expired'));
    const metadata = metadataWith('Bearer abc.def.ghi');
    await expect(sut.canActivate(rpcContext(metadata, 'open'))).rejects.toBeInstanceOf(
      InvalidAccessTokenException,
    );
    expect(metadata.get('authorization')).toEqual([]);
    expect(() => grpcCallerFactory(undefined, rpcContext(metadata, 'open'))).toThrow(
      MissingAccessTokenException,
    );
  });

  it('needs one of the roles of @Roles()', async () => {
    verify.mockResolvedValue(user(['customer']));
    await expect(
      sut.canActivate(rpcContext(metadataWith('Bearer abc.def.ghi'), 'adminOnly')),
    ).rejects.toBeInstanceOf(ForbiddenException);
    verify.mockResolvedValue(user(['customer', 'admin']));
    await expect(sut.canActivate(rpcContext(metadataWith('Bearer abc.def.ghi'), 'adminOnly'))).resolves.toBe(
      true,
    );
  });

  it('leaves HTTP alone (the platform guard has it)', async () => {
    const http = { getType: () => 'http' } as unknown as ExecutionContext;
    await expect(sut.canActivate(http)).resolves.toBe(true);
    expect(verify).not.toHaveBeenCalled();
  });
});
