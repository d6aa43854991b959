// Connects the in-memory account of @vercel/cosmosdb-server to the write-ahead journal: every mutation of a database,
// container, document or UDF is captured as the resulting stored item (with its _rid, _etag, _ts, _self), and the
// same operations rebuild an identical account at start. One journaled account per process (the emulator child).
import Account from '@vercel/cosmosdb-server/lib/account';
import Collections from '@vercel/cosmosdb-server/lib/account/collections';
import Databases from '@vercel/cosmosdb-server/lib/account/databases';
import Documents from '@vercel/cosmosdb-server/lib/account/documents';
import Item from '@vercel/cosmosdb-server/lib/account/item';
import ItemObject from '@vercel/cosmosdb-server/lib/account/item-object';
import Items from '@vercel/cosmosdb-server/lib/account/items';
import UserDefinedFunctions from '@vercel/cosmosdb-server/lib/account/user-defined-functions';
import { CosmosJournal } from './cosmosJournal';

/** Which collection of the account an operation targets; partition key ranges are derived and not journaled. */
export type ItemKind = 'dbs' | 'colls' | 'docs' | 'udfs';

/** The stored item after a create/replace/upsert/patch; `n` is the rid counter of its collection afterwards. */
export interface PutOp {
  k: 'put';
  c: ItemKind;
  /** _rid of the parent (database for colls, container for docs and udfs); null for dbs. */
  p: string | null;
  n: number;
  d: ItemObject;
}

export interface DeleteOp {
  k: 'del';
  c: ItemKind;
  p: string | null;
  r: string;
}

/** Restores a rid counter that a snapshot cannot otherwise carry (for example when every item was deleted). */
export interface RidCounterOp {
  k: 'rid';
  c: ItemKind;
  p: string | null;
  n: number;
}

export type AccountOp = PutOp | DeleteOp | RidCounterOp;

type AnyItems = Items<Item, Item>;

interface Recorder {
  journal: CosmosJournal;
  depth: number;
  ops: AccountOp[];
  replaying: boolean;
}

let recorder: Recorder | undefined;
const proto = Items.prototype as AnyItems;
const original = {
  create: proto.create,
  replace: proto.replace,
  upsert: proto.upsert,
  delete: proto.delete,
  _set: proto._set,
};

function kindOf(items: AnyItems): ItemKind | undefined {
  if (items instanceof Databases) return 'dbs';
  if (items instanceof Collections) return 'colls';
  if (items instanceof Documents) return 'docs';
  if (items instanceof UserDefinedFunctions) return 'udfs';
  return undefined;
}

function parentRid(items: AnyItems, kind: ItemKind): string | null {
  return kind === 'dbs' ? null : items._parent.read()._rid;
}

/**
 * Runs one public mutation. Everything it changes (a replace is a delete plus a set) becomes ONE journal record, so
 * a crash in the middle of writing it replays all of it or nothing.
 */
function inTransaction<T>(run: () => T): T {
  const active = recorder;
  if (!active || active.replaying) return run();
  active.depth += 1;
  try {
    return run();
  } finally {
    active.depth -= 1;
    if (active.depth === 0 && active.ops.length > 0) {
      const ops = active.ops;
      active.ops = [];
      active.journal.append(ops);
    }
  }
}

function installHooks(): void {
  proto.create = function create(this: AnyItems, ...args: Parameters<AnyItems['create']>) {
    return inTransaction(() => original.create.apply(this, args));
  };
  proto.replace = function replace(this: AnyItems, ...args: Parameters<AnyItems['replace']>) {
    return inTransaction(() => original.replace.apply(this, args));
  };
  proto.upsert = function upsert(this: AnyItems, ...args: Parameters<AnyItems['upsert']>) {
    return inTransaction(() => original.upsert.apply(this, args));
  };
  proto._set = function set(this: AnyItems, data: ItemObject) {
    const stored = original._set.call(this, data);
    const kind = kindOf(this);
    const active = recorder;
    if (kind && active && !active.replaying) {
      active.ops.push({ k: 'put', c: kind, p: parentRid(this, kind), n: this._ridCount, d: stored });
    }
    return stored;
  };
  proto.delete = function del(this: AnyItems, idOrRid: string, partition: unknown) {
    return inTransaction(() => {
      const kind = kindOf(this);
      const existing = kind ? this._item('/id', idOrRid, partition).read() : undefined;
      original.delete.call(this, idOrRid, partition);
      const active = recorder;
      if (kind && existing && active && !active.replaying) {
        active.ops.push({ k: 'del', c: kind, p: parentRid(this, kind), r: existing._rid });
      }
    });
  };
}

/** Finds the collection of items an operation targets; throws when its parent does not exist (a corrupt log). */
function resolveItems(account: Account, kind: ItemKind, parent: string | null): AnyItems {
  if (kind === 'dbs') return account.databases as unknown as AnyItems;
  if (parent === null) throw new Error(`journal operation on ${kind} has no parent _rid`);
  if (kind === 'colls') {
    const database = account.databases._data.get(parent);
    if (!database) throw new Error(`journal operation on colls names a missing database _rid ${parent}`);
    return database.collections as unknown as AnyItems;
  }
  for (const database of account.databases._data.values()) {
    const collection = database.collections._data.get(parent);
    if (collection) {
      return (kind === 'docs'
        ? collection.documents
        : collection.userDefinedFunctions) as unknown as AnyItems;
    }
  }
  throw new Error(`journal operation on ${kind} names a missing container _rid ${parent}`);
}

function isAccountOp(value: unknown): value is AccountOp {
  if (!value || typeof value !== 'object') return false;
  const op = value as Record<string, unknown>;
  const kindOk = op.c === 'dbs' || op.c === 'colls' || op.c === 'docs' || op.c === 'udfs';
  const parentOk = op.p === null || typeof op.p === 'string';
  if (!kindOk || !parentOk) return false;
  if (op.k === 'put') return typeof op.n === 'number' && !!op.d && typeof op.d === 'object';
  if (op.k === 'del') return typeof op.r === 'string';
  return op.k === 'rid' && typeof op.n === 'number';
}

/** The same compilation the package applies to a UDF body when it is created. */
function defineUserFunction(body: unknown): unknown {
  if (typeof body !== 'string') throw new Error('journaled UDF has no string body');
  return new Function(`"use strict";return (${body})`)();
}

/** Applies one journaled operation to the account without journaling it again. */
export function applyAccountOp(account: Account, value: unknown): void {
  if (!isAccountOp(value))
    throw new Error(`not a Cosmos journal operation: ${JSON.stringify(value).slice(0, 200)}`);
  const items = resolveItems(account, value.c, value.p);
  const previous = recorder?.replaying;
  if (recorder) recorder.replaying = true;
  try {
    if (value.k === 'put') {
      original._set.call(items, value.d);
      if (value.c === 'udfs')
        (items as unknown as UserDefinedFunctions).functions[value.d.id] = defineUserFunction(value.d.body);
    } else if (value.k === 'del') {
      // Through the subclass so that a UDF also loses its compiled function; by _rid, which the index falls back to.
      items.delete(value.r, undefined);
    }
    if (value.k !== 'del') items._ridCount = Math.max(items._ridCount, value.n);
  } finally {
    if (recorder && previous !== undefined) recorder.replaying = previous;
  }
}

/** Every operation needed to rebuild the account from nothing, in the order the account iterates its items. */
export function* accountSnapshot(account: Account): Generator<AccountOp> {
  const databases = account.databases;
  for (const database of databases._data.values()) {
    const db = database.read();
    yield { k: 'put', c: 'dbs', p: null, n: databases._ridCount, d: db };
    const collections = database.collections;
    for (const collection of collections._data.values()) {
      const coll = collection.read();
      yield { k: 'put', c: 'colls', p: db._rid, n: collections._ridCount, d: coll };
      const documents = collection.documents;
      for (const document of documents._data.values()) {
        yield { k: 'put', c: 'docs', p: coll._rid, n: documents._ridCount, d: document.read() };
      }
      yield { k: 'rid', c: 'docs', p: coll._rid, n: documents._ridCount };
      const udfs = collection.userDefinedFunctions;
      for (const udf of udfs._data.values()) {
        yield { k: 'put', c: 'udfs', p: coll._rid, n: udfs._ridCount, d: udf.read() };
      }
      yield { k: 'rid', c: 'udfs', p: coll._rid, n: udfs._ridCount };
    }
    yield { k: 'rid', c: 'colls', p: db._rid, n: collections._ridCount };
  }
  yield { k: 'rid', c: 'dbs', p: null, n: databases._ridCount };
}

/**
 * Replays the journal into a fresh account, then journals every later mutation of it. The caller must wait for
 * journal.whenDurable() before it answers any request.
 */
export function createJournaledAccount(host: string, port: number, journal: CosmosJournal): Account {
  if (recorder) throw new Error('a journaled Cosmos account already exists in this process');
  const account = new Account(host, port);
  recorder = { journal, depth: 0, ops: [], replaying: true };
  installHooks();
  try {
    journal.replay((op) => applyAccountOp(account, op));
  } finally {
    recorder.replaying = false;
  }
  journal.setSnapshotSource(() => accountSnapshot(account));
  return account;
}
