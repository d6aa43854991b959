// The one error a wire message (agent <-> control plane) raises when it does not match its schema: it names the
// offending field so the message can be set aside with a reason a person can act on.
export class ContractError extends Error {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`${field} ${problem}`);
    this.name = 'ContractError';
    this.field = field;
  }
}
