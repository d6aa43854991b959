// Seals secret values before they are stored and opens them for the components that must use them (the job
// lifecycle, the node agent). `context` binds a sealed value to where it belongs (resource id and path), so a
// sealed value copied into another record does not open.
export interface SecretProtector {
  seal(plainText: string, context: string): string;
  open(sealed: string, context: string): string;
}
