import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

import { assignRequestId } from './request-id';

function exchange(header?: string): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  if (header !== undefined) req.headers['x-request-id'] = header;
  return { req, res: new ServerResponse(req) };
}

describe(assignRequestId.name, () => {
  it('reuses a well-formed incoming id and echoes it', () => {
    const { req, res } = exchange('abc-123.DEF:9_x');
    expect(assignRequestId(req, res)).toBe('abc-123.DEF:9_x');
    expect(res.getHeader('X-Request-Id')).toBe('abc-123.DEF:9_x');
  });

  it.each([['has space'], ['line\nbreak'], ['x'.repeat(129)], ['']])(
    'replaces an unacceptable id %p with a fresh UUID',
    (incoming) => {
      const { req, res } = exchange(incoming);
      const id = assignRequestId(req, res);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.getHeader('X-Request-Id')).toBe(id);
    },
  );

  it('generates an id when none is sent', () => {
    const { req, res } = exchange();
    expect(assignRequestId(req, res)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
