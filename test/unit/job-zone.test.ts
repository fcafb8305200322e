import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../src/job/suggest.js';
import { formatIsoInZone, isValidTimeZone, nextTransition, parseIsoInZone, zoneOffset } from '../../src/job/zone.js';

describe('zone helpers', () => {
  it('validates zone names with Intl', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Europe/Berlni')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });

  it('finds the offset and the exact transition instant', () => {
    expect(zoneOffset('Europe/Berlin', Date.parse('2026-01-01T00:00:00Z'))).toBe(3_600_000);
    expect(zoneOffset('Europe/Berlin', Date.parse('2026-07-01T00:00:00Z'))).toBe(7_200_000);
    expect(nextTransition('Europe/Berlin', Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-12-31T00:00:00Z'))).toBe(
      Date.parse('2026-03-29T01:00:00Z'),
    );
    expect(nextTransition('UTC', 0, Date.parse('2026-12-31T00:00:00Z'))).toBeNull();
  });

  it('reads ISO dates: offsets, Z, local times in the zone, gap and fold', () => {
    const berlin = (text: string) => parseIsoInZone(text, 'Europe/Berlin');
    expect(berlin('2026-01-01T10:00:00Z')).toBe(Date.parse('2026-01-01T10:00:00Z'));
    expect(berlin('2026-01-01T10:00:00+05:30')).toBe(Date.parse('2026-01-01T04:30:00Z'));
    expect(berlin('2026-01-01T10:00:00.250')).toBe(Date.parse('2026-01-01T09:00:00.250Z'));
    expect(berlin('2026-01-01T10:00:00.57Z')).toBe(Date.parse('2026-01-01T10:00:00.570Z'));
    expect(berlin('2026-01-01T10:00:00.123456789Z')).toBe(Date.parse('2026-01-01T10:00:00.123Z'));
    expect(berlin('2026-01-01 10:00')).toBe(Date.parse('2026-01-01T09:00:00Z'));
    expect(berlin('2026-01-01')).toBe(Date.parse('2025-12-31T23:00:00Z'));
    expect(berlin('2026-03-29T02:30:00')).toBe(Date.parse('2026-03-29T01:00:00Z')); // gap → its end
    expect(berlin('2026-10-25T02:30:00')).toBe(Date.parse('2026-10-25T00:30:00Z')); // fold → first
    for (const bad of ['2026-02-30', '2026-1-1', '2026-01-01T25:00', '01/02/2026', 'now', '2026-01-01T10:00:00+25:00']) {
      expect(berlin(bad)).toBeNull();
    }
  });

  it('formats with the zone offset', () => {
    expect(formatIsoInZone(Date.parse('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toBe('2026-03-29T03:00:00.000+02:00');
    expect(formatIsoInZone(Date.parse('2026-01-01T05:00:00.007Z'), 'Asia/Kolkata')).toBe('2026-01-01T10:30:00.007+05:30');
    expect(formatIsoInZone(Date.parse('2026-01-01T05:00:00Z'), 'America/New_York')).toBe('2026-01-01T00:00:00.000-05:00');
  });
});

describe('suggestions', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('minuet', 'minute')).toBe(1);
    expect(editDistance('shedule', 'schedule')).toBe(1);
    expect(editDistance('abc', 'xyz')).toBe(3);
  });

  it('suggests only close words', () => {
    expect(didYouMean('minuet', ['hour', 'minute', 'second'])).toBe(' (did you mean "minute"?)');
    expect(closest('Minute', ['minute'])).toBe('minute');
    expect(closest('banana', ['hour', 'minute'])).toBeUndefined();
    expect(closest('id', ['os'])).toBeUndefined(); // short words need a near-exact match
  });
});
