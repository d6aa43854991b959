// A small reader of Bicep source for the structural tests of infra/ (no Bicep compiler runs on this machine): it
// masks comments and string contents so braces and keywords can be found reliably, then lists params, modules and
// their params, outputs, resources and the JSON files a file loads. It is not a parser of the whole language.
import * as fs from 'fs';
import * as path from 'path';

export interface BicepParam {
  name: string;
  type: string;
  hasDefault: boolean;
  secure: boolean;
}

export interface BicepModuleCall {
  symbol: string;
  modulePath: string;
  paramNames: string[];
}

export interface BicepResource {
  symbol: string;
  /** e.g. Microsoft.Storage/storageAccounts@2023-05-01 */
  typeWithVersion: string;
  existing: boolean;
  /** The body between the braces, original text (strings intact). */
  body: string;
}

export interface BicepFile {
  file: string;
  text: string;
  /** Same length as text: comments and string contents (not interpolations) replaced by spaces. */
  masked: string;
  params: BicepParam[];
  outputs: string[];
  modules: BicepModuleCall[];
  resources: BicepResource[];
  loadedJsonFiles: string[];
  unbalanced: string | undefined;
}

/** Replaces comments and string contents with spaces, keeping quotes, interpolations and every offset. */
export function maskBicep(text: string): string {
  const out = text.split('');
  let i = 0;
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  // Scans code from i until an unmatched '}' when inInterpolation; returns the index after it.
  const scanCode = (inInterpolation: boolean): void => {
    let depth = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '/' && text[i + 1] === '/') {
        const end = text.indexOf('\n', i);
        const stop = end < 0 ? text.length : end;
        blank(i, stop);
        i = stop;
      } else if (c === '/' && text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2);
        const stop = end < 0 ? text.length : end + 2;
        blank(i, stop);
        i = stop;
      } else if (text.startsWith("'''", i)) {
        const end = text.indexOf("'''", i + 3);
        const stop = end < 0 ? text.length : end;
        blank(i + 3, stop);
        i = stop + 3;
      } else if (c === "'") {
        i++;
        scanString();
      } else if (c === '{') {
        depth++;
        i++;
      } else if (c === '}') {
        if (inInterpolation && depth === 0) {
          i++;
          return;
        }
        depth--;
        i++;
      } else {
        i++;
      }
    }
  };
  const scanString = (): void => {
    let start = i;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') {
        i += 2;
      } else if (c === "'") {
        blank(start, i);
        i++;
        return;
      } else if (c === '$' && text[i + 1] === '{') {
        blank(start, i);
        i += 2;
        scanCode(true);
        start = i;
      } else {
        i++;
      }
    }
    blank(start, i);
  };
  scanCode(false);
  return out.join('');
}

/** The first bracket problem in masked text, or undefined when (), [] and {} all balance. */
export function findUnbalanced(masked: string): string | undefined {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: { char: string; offset: number }[] = [];
  for (let k = 0; k < masked.length; k++) {
    const c = masked[k];
    if (c === '(' || c === '[' || c === '{') stack.push({ char: c, offset: k });
    else if (c in pairs) {
      const open = stack.pop();
      if (!open || open.char !== pairs[c]) {
        return `unexpected '${c}' at line ${masked.slice(0, k).split('\n').length}`;
      }
    }
  }
  const open = stack.pop();
  return open
    ? `unclosed '${open.char}' from line ${masked.slice(0, open.offset).split('\n').length}`
    : undefined;
}

/** Offset just after the brace matching the one at openOffset (masked text). */
export function matchingBrace(masked: string, openOffset: number): number {
  let depth = 0;
  for (let k = openOffset; k < masked.length; k++) {
    if (masked[k] === '{' || masked[k] === '[' || masked[k] === '(') depth++;
    else if (masked[k] === '}' || masked[k] === ']' || masked[k] === ')') {
      depth--;
      if (depth === 0) return k + 1;
    }
  }
  throw new Error(`No matching brace for offset ${openOffset}`);
}

/** Keys of the object literal whose '{' is at openOffset, at its first level only. */
export function topLevelKeys(masked: string, openOffset: number): string[] {
  const end = matchingBrace(masked, openOffset);
  const keys: string[] = [];
  let depth = 0;
  let lineStart = true;
  for (let k = openOffset + 1; k < end - 1; k++) {
    const c = masked[k];
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    if (c === '\n') {
      lineStart = true;
      continue;
    }
    if (lineStart && depth === 0 && /\S/.test(c)) {
      const match = /^(\w+)\s*:/.exec(masked.slice(k, masked.indexOf('\n', k)));
      if (match) keys.push(match[1]);
    }
    if (/\S/.test(c)) lineStart = false;
  }
  return keys;
}

function decoratorsAbove(lines: string[], index: number): string {
  const collected: string[] = [];
  for (let k = index - 1; k >= 0; k--) {
    const line = lines[k];
    if (!line.trim() || /^(param|var|resource|module|output|targetScope|type|func)\b/.test(line)) break;
    collected.push(line);
  }
  return collected.join('\n');
}

export function readBicepFile(file: string): BicepFile {
  const text = fs.readFileSync(file, 'utf8');
  const masked = maskBicep(text);
  const lines = masked.split('\n');
  const originalLines = text.split('\n');

  const params: BicepParam[] = [];
  lines.forEach((line, index) => {
    const match = /^param\s+(\w+)\s+(\w+)(\s*=)?/.exec(line);
    if (match) {
      params.push({
        name: match[1],
        type: match[2],
        hasDefault: Boolean(match[3]),
        secure: /@secure\(\)/.test(decoratorsAbove(originalLines, index)),
      });
    }
  });
  const outputs = lines.flatMap((line) => {
    const match = /^output\s+(\w+)\s/.exec(line);
    return match ? [match[1]] : [];
  });

  const modules: BicepModuleCall[] = [];
  for (const match of masked.matchAll(/^module\s+(\w+)\s+('[^'\n]*')\s*=/gm)) {
    const pathStart = (match.index ?? 0) + match[0].indexOf(match[2]);
    const modulePath = text.slice(pathStart + 1, pathStart + match[2].length - 1);
    const bodyOpen = masked.indexOf('{', (match.index ?? 0) + match[0].length);
    const bodyEnd = matchingBrace(masked, bodyOpen);
    const paramsMatch = /\bparams\s*:\s*\{/.exec(masked.slice(bodyOpen, bodyEnd));
    const paramNames = paramsMatch
      ? topLevelKeys(masked, bodyOpen + paramsMatch.index + paramsMatch[0].length - 1)
      : [];
    modules.push({ symbol: match[1], modulePath, paramNames });
  }

  const resources: BicepResource[] = [];
  for (const match of masked.matchAll(/^resource\s+(\w+)\s+('[^'\n]*')\s*(existing\s*)?=/gm)) {
    const typeStart = (match.index ?? 0) + match[0].indexOf(match[2]);
    const typeWithVersion = text.slice(typeStart + 1, typeStart + match[2].length - 1);
    const bodyOpen = masked.slice((match.index ?? 0) + match[0].length).search(/[{[]/);
    const open = (match.index ?? 0) + match[0].length + bodyOpen;
    const end = matchingBrace(masked, open);
    resources.push({
      symbol: match[1],
      typeWithVersion,
      existing: Boolean(match[3]),
      body: text.slice(open, end),
    });
  }

  const loadedJsonFiles: string[] = [];
  for (const match of masked.matchAll(/loadJsonContent\(('[^'\n]*')\)/g)) {
    const start = (match.index ?? 0) + match[0].indexOf(match[1]);
    loadedJsonFiles.push(
      path.resolve(path.dirname(file), text.slice(start + 1, start + match[1].length - 1)),
    );
  }

  return {
    file,
    text,
    masked,
    params,
    outputs,
    modules,
    resources,
    loadedJsonFiles,
    unbalanced: findUnbalanced(masked),
  };
}

/** Problems in the module calls of a file: missing module files, unknown or missing params, unknown outputs. */
export function moduleCallProblems(file: BicepFile): string[] {
  const problems: string[] = [];
  const moduleFiles = new Map<string, BicepFile>();
  for (const call of file.modules) {
    const target = path.resolve(path.dirname(file.file), call.modulePath);
    if (!fs.existsSync(target)) {
      problems.push(`module ${call.symbol}: file ${call.modulePath} does not exist`);
      continue;
    }
    const module = readBicepFile(target);
    moduleFiles.set(call.symbol, module);
    const declared = new Set(module.params.map((param) => param.name));
    for (const name of call.paramNames) {
      if (!declared.has(name))
        problems.push(`module ${call.symbol}: param '${name}' is not declared in ${call.modulePath}`);
    }
    for (const param of module.params) {
      if (!param.hasDefault && !call.paramNames.includes(param.name)) {
        problems.push(
          `module ${call.symbol}: required param '${param.name}' of ${call.modulePath} is not passed`,
        );
      }
    }
  }
  for (const match of file.masked.matchAll(/\b(\w+)\.outputs\.(\w+)/g)) {
    const module = moduleFiles.get(match[1]);
    if (!module) {
      if (!file.modules.some((call) => call.symbol === match[1])) {
        problems.push(`'${match[0]}' refers to no module of this file`);
      }
      continue;
    }
    if (!module.outputs.includes(match[2])) {
      problems.push(`'${match[0]}': ${path.basename(module.file)} declares no output '${match[2]}'`);
    }
  }
  return problems;
}
