/** Field names whose values must never reach a log line, wherever they sit in a logged object. */
export const SENSITIVE_FIELDS = [
  'password',
  'newPassword',
  'currentPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'secret',
  'clientSecret',
  'apiKey',
  'cardNumber',
  'cvc',
  'cvv',
  'pan',
  // The bound values of a failed query (TypeORM's QueryFailedError.parameters): hashes, e-mails, tokens.
  'parameters',
] as const;

const HEADER_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/**
 * pino redact paths: the sensitive headers plus every sensitive field at the top level and up to three
 * levels deep (pino's wildcards match one level each, and deeper paths cost nothing until they match).
 */
export function redactPaths(): string[] {
  const paths = [...HEADER_PATHS];
  for (const field of SENSITIVE_FIELDS) {
    paths.push(field, `*.${field}`, `*.*.${field}`, `*.*.*.${field}`);
  }
  return paths;
}
