// LOCAL_CPU_PROF_DIR=<dir>: the local runtime's Node processes (Functions host, Azurite, Cosmos emulator, local node
// agents) run with V8 CPU profiling (`--cpu-prof`, which NODE_OPTIONS refuses) and each writes a .cpuprofile there
// when it exits, to be opened in Chrome DevTools.
export function cpuProfileArgs(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  const dir = env.LOCAL_CPU_PROF_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}
