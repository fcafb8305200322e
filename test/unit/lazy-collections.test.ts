/** The runs-in-progress map and the retry-timer set of a job (made on first write). */
import { describe, expect, it } from 'vitest';
import { LazyMap, LazySet } from '../../src/supervisor/lazy-collections.js';

describe('LazyMap', () => {
  it('behaves as a Map for what jobs use, empty or not', () => {
    const m = new LazyMap<string, number>();
    expect(m.size).toBe(0);
    expect([...m.values()]).toEqual([]);
    expect([...m.keys()]).toEqual([]);
    expect(m.get('a')).toBeUndefined();
    expect(m.delete('a')).toBe(false);
    m.set('a', 1).set('b', 2);
    expect(m.size).toBe(2);
    expect(m.has('a')).toBe(true);
    expect([...m]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(m.delete('a')).toBe(true);
    expect(m.delete('b')).toBe(true);
    expect(m.size).toBe(0);
    m.set('c', 3);
    expect([...m.keys()]).toEqual(['c']);
    m.clear();
    expect(m.size).toBe(0);
  });
});

describe('LazySet', () => {
  it('behaves as a Set for what jobs use, empty or not', () => {
    const s = new LazySet<string>();
    expect(s.size).toBe(0);
    expect([...s]).toEqual([]);
    s.add('x').add('y').add('x');
    expect(s.size).toBe(2);
    expect(s.has('y')).toBe(true);
    expect([...s.values()]).toEqual(['x', 'y']);
    expect(s.delete('x')).toBe(true);
    expect(s.delete('y')).toBe(true);
    expect(s.delete('y')).toBe(false);
    expect([...s]).toEqual([]);
    s.add('z');
    s.clear();
    expect(s.size).toBe(0);
  });
});
