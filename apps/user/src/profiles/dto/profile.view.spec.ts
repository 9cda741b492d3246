import { toAddress } from '../../addresses/address';
import { Profile } from '../profile';
import { toTimestamp, toUserMessage } from './profile.grpc';
import { toProfileView } from './profile.view';

const profile: Profile = {
  id: '2f1c4b7e-8a43-4c1e-9a55-0d4c6a1f7b21',
  email: 'ada@example.com',
  name: 'Ada',
  createdAt: new Date('2026-01-02T03:04:05.678Z'),
  updatedAt: new Date('2026-02-03T04:05:06.789Z'),
};

describe(toProfileView.name, () => {
  it('maps a profile to the REST shape with RFC 3339 UTC times, and nothing else', () => {
    expect(toProfileView(profile)).toEqual({
      id: profile.id,
      email: 'ada@example.com',
      name: 'Ada',
      createdAt: '2026-01-02T03:04:05.678Z',
      updatedAt: '2026-02-03T04:05:06.789Z',
    });
  });
});

describe(toUserMessage.name, () => {
  it('maps a profile to the proto User with Timestamps', () => {
    expect(toUserMessage(profile)).toEqual({
      id: profile.id,
      email: 'ada@example.com',
      name: 'Ada',
      createdAt: { seconds: '1767323045', nanos: 678_000_000 },
      updatedAt: { seconds: '1770091506', nanos: 789_000_000 },
    });
  });

  it.each([
    ['1970-01-01T00:00:00.000Z', '0', 0],
    ['1969-12-31T23:59:59.999Z', '-1', 999_000_000],
    ['2038-01-19T03:14:08.001Z', '2147483648', 1_000_000],
  ])('writes %s as seconds %s and nanos %i (nanos never negative)', (iso, seconds, nanos) => {
    expect(toTimestamp(new Date(iso))).toEqual({ seconds, nanos });
  });
});

describe(toAddress.name, () => {
  const row = {
    id: '9d1c4b7e-8a43-4c1e-9a55-0d4c6a1f7b21',
    line1: '1 Main Street',
    line2: null,
    city: 'Springfield',
    postal_code: '12345',
    country: 'US',
  };

  it('leaves line2 out when the row has none', () => {
    expect(toAddress(row)).toEqual({
      id: row.id,
      line1: '1 Main Street',
      city: 'Springfield',
      postalCode: '12345',
      country: 'US',
    });
  });

  it('keeps line2 when there is one', () => {
    expect(toAddress({ ...row, line2: 'Apt 4' })).toMatchObject({ line2: 'Apt 4' });
  });
});
