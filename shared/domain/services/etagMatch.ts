import { PreconditionFailedError } from '../errors';

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

/**
 * The conditions of a PUT or DELETE as Resource Manager reads them: `If-Match` (the resource must exist and carry
 * one of the ETags, `*` any), `If-None-Match` (it must not exist, or not carry one of them). Throws 412 otherwise.
 */
export function assertPreconditions(
  conditions: { ifMatch?: string; ifNoneMatch?: string },
  existing: { etag: string } | undefined,
): void {
  const { ifMatch, ifNoneMatch } = conditions;
  if (ifMatch !== undefined && ifMatch.trim() !== '' && (!existing || !etagMatches(ifMatch, existing.etag))) {
    throw new PreconditionFailedError(
      existing
        ? 'The resource was modified since the ETag in If-Match was read; read it again and retry.'
        : 'The resource named by If-Match does not exist.',
    );
  }
  if (
    ifNoneMatch !== undefined &&
    ifNoneMatch.trim() !== '' &&
    existing &&
    etagMatches(ifNoneMatch, existing.etag)
  ) {
    throw new PreconditionFailedError('The resource already exists (If-None-Match).');
  }
}
