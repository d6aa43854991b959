// Open MPI host files for nodes that share an address (local nodes all answer on the loopback address).
/**
 * An MPI host file with one line per host: local nodes share one address, and Open MPI refuses a host listed
 * twice with slot counts, so lines of the same host are merged (their slots added).
 */
export function mergedHostFile(content: string): string {
  const slots = new Map<string, number>();
  for (const line of content.split('\n')) {
    const match = /^(\S+)\s+slots=(\d+)\s*$/.exec(line);
    if (match) slots.set(match[1], (slots.get(match[1]) ?? 0) + Number(match[2]));
  }
  return [...slots].map(([host, count]) => `${host} slots=${count}\n`).join('');
}
