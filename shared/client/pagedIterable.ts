// Lists as async iterables: `for await (const c of client.clusters.list(rg, ws))` walks every item, following
// `nextLink` page after page; `.byPage()` yields whole pages. Nothing is fetched until iteration starts.
import type { Page } from './batchAiTypes';
import type { RestPipeline, SendOptions } from './restPipeline';

export interface PagedAsyncIterable<T> extends AsyncIterable<T> {
  byPage(): AsyncIterable<Page<T>>;
  /** Collects every item of every page. */
  toArray(): Promise<T[]>;
}

export function pagedIterable<T>(
  pipeline: RestPipeline,
  method: 'GET' | 'POST',
  path: string,
  options: SendOptions = {},
): PagedAsyncIterable<T> {
  async function* pages(): AsyncGenerator<Page<T>> {
    let next: string | undefined = path;
    let first = true;
    const seen = new Set<string>();
    while (next) {
      // The first request carries the caller's query; nextLink already holds everything the server needs.
      const page: Page<T> | undefined = await pipeline.json<Page<T>>(
        method,
        next,
        first ? options : { accept: options.accept },
      );
      first = false;
      yield { value: page?.value ?? [], nextLink: page?.nextLink };
      next = page?.nextLink || undefined;
      if (next) {
        // A server answering the same nextLink twice would loop for ever: stop with a clear error instead.
        if (seen.has(next)) throw new Error(`The server returned the same nextLink twice: ${next}`);
        seen.add(next);
      }
    }
  }
  async function* items(): AsyncGenerator<T> {
    for await (const page of pages()) yield* page.value;
  }
  return {
    [Symbol.asyncIterator]: () => items(),
    byPage: () => ({ [Symbol.asyncIterator]: () => pages() }),
    async toArray() {
      const all: T[] = [];
      for await (const item of items()) all.push(item);
      return all;
    },
  };
}
