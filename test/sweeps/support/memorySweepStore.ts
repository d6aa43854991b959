// An in-memory SweepStore with ETags, for tests of the sweep service and activities (the Cosmos one checks the same).
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../../shared/domain/errors';
import type { Page } from '../../../shared/ports/resourceStore';
import type {
  StoredSweep,
  SweepAddress,
  SweepRecord,
  SweepStore,
} from '../../../shared/domain/sweeps/sweepStore';

export class MemorySweepStore implements SweepStore {
  private readonly items = new Map<string, StoredSweep>();
  private version = 0;

  private key(address: SweepAddress): string {
    return JSON.stringify(address);
  }

  private put(record: SweepRecord): StoredSweep {
    const stored = { record: structuredClone(record), etag: `e${++this.version}` };
    this.items.set(this.key(record.address), stored);
    return structuredClone(stored);
  }

  get(address: SweepAddress): Promise<StoredSweep | undefined> {
    const found = this.items.get(this.key(address));
    return Promise.resolve(found && structuredClone(found));
  }

  create(record: SweepRecord): Promise<StoredSweep> {
    if (this.items.has(this.key(record.address)))
      return Promise.reject(new ConflictError('Conflict', 'exists'));
    return Promise.resolve(this.put(record));
  }

  replace(record: SweepRecord, etag: string): Promise<StoredSweep> {
    const current = this.items.get(this.key(record.address));
    if (!current) return Promise.reject(new NotFoundError('gone'));
    if (current.etag !== etag) return Promise.reject(new PreconditionFailedError('stale'));
    return Promise.resolve(this.put(record));
  }

  delete(address: SweepAddress, etag?: string): Promise<boolean> {
    const current = this.items.get(this.key(address));
    if (!current) return Promise.resolve(false);
    if (etag !== undefined && current.etag !== etag)
      return Promise.reject(new PreconditionFailedError('stale'));
    this.items.delete(this.key(address));
    return Promise.resolve(true);
  }

  list(): Promise<Page<StoredSweep>> {
    return Promise.resolve({ items: [...this.items.values()].map((s) => structuredClone(s)) });
  }
}
