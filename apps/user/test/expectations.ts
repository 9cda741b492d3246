export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { field: string; message: string }[];
}

/** An RFC 9457 problem with the given status (and code), and nothing internal in it. */
export function expectProblem(body: unknown, status: number, code?: string): void {
  const problem = body as ProblemBody;
  expect(problem).toMatchObject({ status, type: expect.stringMatching(/^urn:emporium:problem:/) });
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
  if (code) expect(problem.code).toBe(code);
  expect(JSON.stringify(problem)).not.toMatch(/at .+\.(js|ts):\d+|SELECT|INSERT|node_modules|127\.0\.0\.1/);
}

// Credentials and authorization data belong to auth (and cards to payment): none may show in this
// service's answers. `nextPageToken` is the one field allowed to say "token": a page cursor.
const FORBIDDEN_KEY = /passw|hash|secret|token|card|cvc|cvv|^pan$|credential|roles/i;
const ALLOWED_KEYS = new Set(['nextPageToken']);

/** Every key, at any depth, of a response body that names a credential, a card or roles. */
export function forbiddenKeysIn(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => forbiddenKeysIn(item, `${path}${index}.`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(FORBIDDEN_KEY.test(key) && !ALLOWED_KEYS.has(key) ? [`${path}${key}`] : []),
    ...forbiddenKeysIn(child, `${path}${key}.`),
  ]);
}
