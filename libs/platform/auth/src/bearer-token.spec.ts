import { MAX_ACCESS_TOKEN_LENGTH, readBearerToken } from './bearer-token';

describe(readBearerToken.name, () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc.def.ghi', 'abc.def.ghi'],
    ['BEARER  abc.def.ghi', 'abc.def.ghi'],
  ])('reads the token from %p', (header, token) => {
    expect(readBearerToken(header)).toEqual({ kind: 'token', token });
  });

  it.each([undefined, '', 'Basic dXNlcjpwYXNz', 'Token abc', 'Bearerabc.def.ghi', 'Bear'])(
    'treats %p as no bearer credentials',
    (header) => {
      expect(readBearerToken(header)).toEqual({ kind: 'none' });
    },
  );

  it.each([
    ['the bare scheme', 'Bearer'],
    ['the scheme and spaces', 'Bearer    '],
    ['repeated headers', ['Bearer a.b.c', 'Bearer d.e.f']],
    ['an over-long token', `Bearer ${'a'.repeat(MAX_ACCESS_TOKEN_LENGTH + 1)}`],
  ])('calls %s malformed', (_case, header) => {
    expect(readBearerToken(header)).toEqual({ kind: 'malformed' });
  });

  it('accepts a token of exactly the maximum length', () => {
    const token = 'a'.repeat(MAX_ACCESS_TOKEN_LENGTH);

    expect(readBearerToken(`Bearer ${token}`)).toEqual({ kind: 'token', token });
  });
});
