// The documents this process last read or wrote, with their ETags, so a read-modify-write can skip its read: the
// write is ETag-checked, so a stale copy (another instance wrote meanwhile) costs a 412 and a fresh read, never a
// lost update. Only for writes: a caller that decides not to write after looking at a remembered copy must look
// again at a fresh read (the copy may be behind). Bounded: the least recently used entries go first.

/** Entries kept per cache: a few thousand records of a few KB each. */
const defaultCapacity = 4_000;

export class RecentDocuments<T> {
  private readonly entries = new Map<string, { value: T; etag: string }>();

  constructor(private readonly capacity = defaultCapacity) {}

  /** A copy of the remembered value (callers may change it freely), or undefined. */
  recall(key: string): { value: T; etag: string } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key); // most recently used last
    this.entries.set(key, entry);
    return { value: structuredClone(entry.value), etag: entry.etag };
  }

  remember(key: string, value: T, etag: string | undefined): void {
    this.entries.delete(key);
    if (!etag) return; // nothing to check a later write against
    this.entries.set(key, { value: structuredClone(value), etag });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}

const shared = new Map<string, RecentDocuments<unknown>>();

/** One cache per database and container in this process, whichever store instance reads or writes it. */
export function recentDocumentsOf<T>(database: string, container: string): RecentDocuments<T> {
  const key = `${database}/${container}`;
  let cache = shared.get(key);
  if (!cache) shared.set(key, (cache = new RecentDocuments<unknown>()));
  return cache as RecentDocuments<T>;
}
