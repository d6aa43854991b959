// If-Match as HTTP and Resource Manager read it: absent, or `*` (any existing resource), or one of the listed
// ETags, quoted or not (weak `W/` tags compare by their value).
export function etagMatches(ifMatch: string | undefined, etag: string): boolean {
  if (ifMatch === undefined || ifMatch.trim() === '') return true;
  const bare = (tag: string): string =>
    tag
      .trim()
      .replace(/^W\//, '')
      .replace(/^"(.*)"$/, '$1');
  return ifMatch.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}
