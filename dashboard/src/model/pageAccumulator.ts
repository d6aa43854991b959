// Follows ARM paging (`{value, nextLink}`) until the last page, with a cap on the number of items so a huge list
// cannot freeze the browser; the caller learns whether the list was cut.

export interface ArmPage<T> {
  value?: T[];
  nextLink?: string;
}

export interface AccumulatedList<T> {
  items: T[];
  /** True when more items exist than were collected (the cap was reached). */
  truncated: boolean;
  pages: number;
}

export async function accumulatePages<T>(
  firstUrl: string,
  fetchPage: (url: string) => Promise<ArmPage<T>>,
  maxItems = 2000,
): Promise<AccumulatedList<T>> {
  const items: T[] = [];
  const seen = new Set<string>();
  let url: string | undefined = firstUrl;
  let pages = 0;
  while (url) {
    // A server that hands back a link already followed would loop for ever.
    if (seen.has(url)) throw new Error(`The list paging repeats itself at ${url}.`);
    seen.add(url);
    const page: ArmPage<T> = await fetchPage(url);
    pages += 1;
    if (page.value !== undefined && !Array.isArray(page.value)) {
      throw new Error(`The list page from ${url} has a 'value' that is not an array.`);
    }
    for (const item of page.value ?? []) {
      if (items.length >= maxItems) return { items, truncated: true, pages };
      items.push(item);
    }
    url = typeof page.nextLink === 'string' && page.nextLink !== '' ? page.nextLink : undefined;
    if (url && items.length >= maxItems) return { items, truncated: true, pages };
  }
  return { items, truncated: false, pages };
}
