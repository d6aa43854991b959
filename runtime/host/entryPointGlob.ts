// Expands the app's package.json `main` the way the worker does (a file or a glob such as `dist/src/functions/*.js`),
// with a small matcher for `*`, `**`, `?` and `{a,b}` so the host needs no glob dependency.
import * as fs from 'fs';
import * as path from 'path';

/** True when the pattern holds glob syntax. */
export function hasGlobMagic(pattern: string): boolean {
  return /[*?{[]/.test(pattern);
}

/** Converts a glob (with `/` separators) to an anchored regular expression. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  let i = 0;
  let braceDepth = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches zero or more directories; a trailing `**` matches everything below.
        if (pattern[i + 2] === '/') {
          re += '(?:[^/]*/)*';
          i += 3;
        } else {
          re += '.*';
          i += 2;
        }
        continue;
      }
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '{') {
      braceDepth++;
      re += '(?:';
    } else if (c === '}' && braceDepth > 0) {
      braceDepth--;
      re += ')';
    } else if (c === ',' && braceDepth > 0) {
      re += '|';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i);
      if (end < 0) throw new Error(`Invalid entry point pattern "${pattern}": unclosed "[".`);
      re += pattern.slice(i, end + 1).replace(/^\[!/, '[^');
      i = end + 1;
      continue;
    } else {
      re += c.replace(/[.+^$()|\\]/g, '\\$&');
    }
    i++;
  }
  return new RegExp(`^${re}$`);
}

/** Files (relative paths with `/`, sorted) under `cwd` that match `pattern`; node_modules is not searched. */
export function expandEntryPoint(pattern: string, cwd: string): string[] {
  const normalized = pattern.replace(/\\/g, '/').replace(/^\.\//, '');
  if (!hasGlobMagic(normalized)) {
    return fs.existsSync(path.resolve(cwd, normalized)) ? [normalized] : [];
  }
  const segments = normalized.split('/');
  const firstMagic = segments.findIndex((s) => hasGlobMagic(s));
  const base = segments.slice(0, firstMagic).join('/');
  const matcher = globToRegExp(normalized);
  const found: string[] = [];
  const walk = (relDir: string): void => {
    const absDir = path.resolve(cwd, relDir || '.');
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(absDir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === 'node_modules') continue;
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (e.isDirectory()) walk(rel);
      else if (matcher.test(rel)) found.push(rel);
    }
  };
  walk(base);
  return found.sort();
}
