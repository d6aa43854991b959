// A mistake in the command line (unknown command or flag, missing or malformed value): the CLI prints it with a
// hint and exits 2, as az does for argument errors, without calling the service.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
