import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { DomainError } from './domain-error';
import { PageQueryDto, PageTokens } from './pagination';

const isNumberKey = (key: unknown): key is number => typeof key === 'number';

describe('PageTokens', () => {
  it('round-trips a key for the same filters', () => {
    const token = PageTokens.encode(42, { category: 'books' });
    expect(PageTokens.decode(token, { category: 'books' }, isNumberKey)).toBe(42);
  });

  it('is opaque: no filter values or keys in clear text', () => {
    const token = PageTokens.encode(42, { category: 'books' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token).not.toContain('books');
  });

  it.each([
    ['other filters', PageTokens.encode(42, { category: 'books' }), { category: 'toys' }],
    ['garbage', 'not-a-token', { category: 'books' }],
    ['valid JSON of the wrong shape', Buffer.from('[1,2]').toString('base64url'), { category: 'books' }],
    ['a key of the wrong type', PageTokens.encode('42', { category: 'books' }), { category: 'books' }],
  ])('refuses a token with %s as a 400 INVALID_PAGE_TOKEN', (_, token, filters) => {
    expect(() => PageTokens.decode(token, filters, isNumberKey)).toThrow(
      expect.objectContaining({ code: 'INVALID_PAGE_TOKEN', kind: 'bad_request' }) as DomainError,
    );
  });
});

describe(PageQueryDto.name, () => {
  const errorsOf = (query: object) =>
    validateSync(plainToInstance(PageQueryDto, query)).map((error) => error.property);

  it('defaults pageSize to 20 and converts numeric strings', () => {
    expect(plainToInstance(PageQueryDto, {}).pageSize).toBe(20);
    expect(plainToInstance(PageQueryDto, { pageSize: '7' }).pageSize).toBe(7);
  });

  it.each(['0', '101', '-1', '1.5', 'ten', '1e2', ''])('rejects pageSize %p', (pageSize) => {
    expect(errorsOf({ pageSize })).toContain('pageSize');
  });
});
