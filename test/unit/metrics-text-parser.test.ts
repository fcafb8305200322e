/** The tests' Prometheus text parser (test/_prom.ts) reads what prom-client writes and refuses what it should. */
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseProm } from '../_prom.js';

describe('parseProm', () => {
  it("reads prom-client's counters and histograms, with escaped label values", async () => {
    const register = new Registry();
    new Counter({ name: 'c_total', help: 'c', labelNames: ['a'], registers: [register] }).inc({ a: 'x"y\\z\nw' }, 2);
    new Histogram({ name: 'h_seconds', help: 'h', buckets: [1], registers: [register] }).observe(0.5);
    const metrics = parseProm(await register.metrics());
    expect(metrics.types).toEqual(new Map([['c_total', 'counter'], ['h_seconds', 'histogram']]));
    expect(metrics.value('c_total', { a: 'x"y\\z\nw' })).toBe(2);
    expect(metrics.value('h_seconds_bucket', { le: '1' })).toBe(1);
    expect(metrics.value('h_seconds_bucket', { le: '+Inf' })).toBe(1);
    expect(metrics.value('h_seconds_sum')).toBe(0.5);
    expect(metrics.value('h_seconds_count', { le: '1' })).toBeUndefined();
  });

  it('refuses a malformed line, a sample without TYPE and a series given twice', () => {
    expect(() => parseProm('# TYPE a gauge\na{b="c} 1\n')).toThrow(/a\{b="c\} 1/);
    expect(() => parseProm('# TYPE a gauge\na one\n')).toThrow(/not a/);
    expect(() => parseProm('b 1\n')).toThrow(/without TYPE/);
    expect(() => parseProm('# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n')).toThrow(/twice/);
  });
});
