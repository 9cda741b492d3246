import { securityHeaders } from './security-headers';

describe(securityHeaders.name, () => {
  it("computes helmet's headers once, with the API's strict CSP", () => {
    const sut = securityHeaders();
    expect(sut).toMatchObject({
      'Content-Security-Policy': expect.stringContaining("default-src 'self'"),
      'Strict-Transport-Security': expect.stringContaining('max-age='),
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'SAMEORIGIN',
      'Referrer-Policy': 'no-referrer',
    });
    expect(sut['Content-Security-Policy']).toContain("script-src 'self'");
    expect(Object.isFrozen(sut)).toBe(true);
  });

  it('reports invalid options at start-up rather than per request', () => {
    expect(() =>
      securityHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ['self'] } } }),
    ).toThrow();
  });
});
