// Node options of the local runtime's busy server processes (the Functions host, Azurite, the Cosmos emulator): a
// 32 MiB young-generation semi-space instead of V8's 16 MiB makes scavenges rarer in processes that allocate per
// request; on the 500-job bench it saved about 5 % of the CPU per job. Node agents keep the defaults (they idle).
// LOCAL_CPU_PROF_DIR=<dir> adds V8 CPU profiling to these processes and the node agents (`--cpu-prof`, which
// NODE_OPTIONS refuses): each writes a .cpuprofile there when it exits, to be opened in Chrome DevTools.
export const serverNodeArgs: readonly string[] = ['--max-semi-space-size=32', ...cpuProfileArgs()];

/** `--cpu-prof` flags when LOCAL_CPU_PROF_DIR names a directory, else none. */
export function cpuProfileArgs(): string[] {
  const dir = process.env.LOCAL_CPU_PROF_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}
