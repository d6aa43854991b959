// Expands `$NAME` and `${NAME}` references the way Batch AI did in job paths and command lines: only names it
// knows are replaced; anything else is left for the shell that runs the command.

const reference = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;
/** Characters a value may have to be pasted into a shell command line unquoted without changing its meaning. */
const shellSafe = /^[A-Za-z0-9_@%+=:,./-]*$/;

export interface ExpansionOptions {
  /** Replace a reference only when its value is shell-safe (command lines); others stay for the shell to expand. */
  shellSafeOnly?: boolean;
}

export function expandVariables(
  text: string,
  variables: Readonly<Record<string, string>>,
  options: ExpansionOptions = {},
): string {
  return text.replace(reference, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    const value = Object.prototype.hasOwnProperty.call(variables, name) ? variables[name] : undefined;
    if (value === undefined) return whole;
    if (options.shellSafeOnly && !shellSafe.test(value)) return whole;
    return value;
  });
}

/** Names still referenced in `text` (after expansion: the ones nobody defined). */
export function referencedVariables(text: string): string[] {
  return [...text.matchAll(reference)].map((match) => match[1] ?? match[2]);
}
