// Cosmos DB's item size limit in the emulator: Azure refuses a document whose JSON is over 2 MB with 413
// RequestEntityTooLarge; @vercel/cosmosdb-server stores anything. The check runs before the package touches its
// storage (create, replace, upsert, and patch, which ends in a replace), so a refused write changes nothing.
import { randomUUID } from 'crypto';
import Documents from '@vercel/cosmosdb-server/lib/account/documents';
import Items from '@vercel/cosmosdb-server/lib/account/items';
import type Item from '@vercel/cosmosdb-server/lib/account/item';

/** Azure Cosmos DB's maximum item size: 2 MB of UTF-8 JSON. */
export const maxItemBytes = 2 * 1024 * 1024;

export class ItemTooLargeError extends Error {
  constructor(readonly bytes: number) {
    super(`Request size is too large: the item is ${bytes} bytes, the limit is ${maxItemBytes}`);
    this.name = 'ItemTooLargeError';
  }
}

/** The error body Azure sends with a 413 (the SDK exposes it as error.body). */
export function itemTooLargeBody(requestUri: string): { code: string; message: string } {
  return {
    code: 'RequestEntityTooLarge',
    message: `Message: {"Errors":["Request size is too large"]}\r\nActivityId: ${randomUUID()}, Request URI: ${requestUri}`,
  };
}

type AnyItems = Items<Item, Item>;
let installed = false;

function check(data: unknown): void {
  const bytes = Buffer.byteLength(JSON.stringify(data) ?? '', 'utf8');
  if (bytes > maxItemBytes) throw new ItemTooLargeError(bytes);
}

/** Makes document writes over the limit throw ItemTooLargeError (once per process; idempotent). */
export function installItemSizeLimit(): void {
  if (installed) return;
  installed = true;
  const proto = Documents.prototype as unknown as AnyItems;
  // Looked up at call time, so hooks installed on Items later (the journal's) still run after the check.
  const base = Items.prototype as AnyItems;
  proto.create = function create(this: AnyItems, ...args: Parameters<AnyItems['create']>) {
    check(args[0]);
    return base.create.apply(this, args);
  };
  proto.replace = function replace(this: AnyItems, ...args: Parameters<AnyItems['replace']>) {
    check(args[0]);
    return base.replace.apply(this, args);
  };
  proto.upsert = function upsert(this: AnyItems, ...args: Parameters<AnyItems['upsert']>) {
    check(args[0]);
    return base.upsert.apply(this, args);
  };
}
