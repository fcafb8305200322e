/**
 * A Map and a Set made on first write. Every job has a map of its runs in progress and a set of its
 * retry timers, and most jobs have neither almost all the time: an empty Map or Set still costs
 * ~150–200 bytes (its hash table), 40 MB for the two with 100 000 jobs.
 */
const NONE: readonly never[] = [];

export class LazyMap<K, V> {
  private map: Map<K, V> | null = null;

  get size(): number {
    return this.map?.size ?? 0;
  }

  get(key: K): V | undefined {
    return this.map?.get(key);
  }

  has(key: K): boolean {
    return this.map?.has(key) ?? false;
  }

  set(key: K, value: V): this {
    (this.map ??= new Map()).set(key, value);
    return this;
  }

  /** Drops the table once empty again, so a job that ran once does not keep it. */
  delete(key: K): boolean {
    const deleted = this.map?.delete(key) ?? false;
    if (this.map?.size === 0) this.map = null;
    return deleted;
  }

  clear(): void {
    this.map = null;
  }

  keys(): IterableIterator<K> {
    return this.map ? this.map.keys() : NONE.values();
  }

  values(): IterableIterator<V> {
    return this.map ? this.map.values() : NONE.values();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.map ? this.map.entries() : NONE.values();
  }
}

export class LazySet<T> {
  private set: Set<T> | null = null;

  get size(): number {
    return this.set?.size ?? 0;
  }

  has(value: T): boolean {
    return this.set?.has(value) ?? false;
  }

  add(value: T): this {
    (this.set ??= new Set()).add(value);
    return this;
  }

  delete(value: T): boolean {
    const deleted = this.set?.delete(value) ?? false;
    if (this.set?.size === 0) this.set = null;
    return deleted;
  }

  clear(): void {
    this.set = null;
  }

  values(): IterableIterator<T> {
    return this.set ? this.set.values() : NONE.values();
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.values();
  }
}
