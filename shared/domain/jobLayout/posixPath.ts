// Joins and normalises node paths. Nodes are Linux (or a local process on this machine with POSIX paths), so the
// layout never uses the control plane's own path separator.

export function joinPosix(...parts: (string | undefined)[]): string {
  const joined = parts.filter((part): part is string => part !== undefined && part !== '').join('/');
  const absolute = joined.startsWith('/');
  const segments: string[] = [];
  for (const segment of joined.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `${absolute ? '/' : ''}${segments.join('/')}`;
}

/** `path` relative to `root` when it is `root` itself or below it; undefined otherwise. */
export function relativeTo(root: string, path: string): string | undefined {
  const base = joinPosix(root);
  const target = joinPosix(path);
  if (target === base) return '';
  const prefix = base.endsWith('/') ? base : `${base}/`;
  return target.startsWith(prefix) ? target.slice(prefix.length) : undefined;
}

/** Whether a path has a '..' segment ('/'-separated; a backslash counts as a separator too). */
export function hasParentSegment(path: string): boolean {
  return path.split(/[\\/]/).includes('..');
}
