// Secret redaction for telemetry: values marked with `secret()`, properties whose names say they hold secrets, and
// credentials embedded in text (connection-string keys, SAS signatures, bearer tokens) never reach a sink.
export const redactedText = '[REDACTED]';

/** A value that must never be logged: every rendering of it (String, JSON, inspect) is the redaction marker. */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The real value, for the code that needs it (never pass the result to telemetry). */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return redactedText;
  }

  toJSON(): string {
    return redactedText;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return redactedText;
  }
}

export function secret(value: string): SecretValue {
  return new SecretValue(value);
}

/** Property names whose values are secrets whatever they hold. */
const secretNamePattern =
  /(password|passwd|pwd|secret|token|apikey|api[-_]key|accountkey|account[-_]key|masterkey|functionkey|x-functions-key|connectionstring|connection[-_]string|credential|authorization|cookie|signature|^sig$|^code$|privatekey|private[-_]key|sas)/i;

export function isSecretPropertyName(name: string): boolean {
  return secretNamePattern.test(name);
}

/** Credentials that can hide inside free text: `AccountKey=...`, `SharedAccessSignature=...`, `sig=...`, bearer tokens. */
const embeddedSecretPatterns: readonly (readonly [RegExp, string])[] = [
  [/\b(AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd)=[^;\s"']+/gi, `$1=${redactedText}`],
  [/([?&](?:sig|code|secret|token|access_token)=)[^&\s"']+/gi, `$1${redactedText}`],
  [/\b(Bearer|Basic) +[A-Za-z0-9\-._~+/]+=*/g, `$1 ${redactedText}`],
];

/** Replaces credentials embedded in a text with the redaction marker (the rest of the text stays readable). */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of embeddedSecretPatterns) out = out.replace(pattern, replacement);
  return out;
}

/** Properties as plain strings, with secrets redacted and absent values dropped (what every adapter emits). */
export function redactProperties(
  properties: Readonly<Record<string, unknown>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!properties) return out;
  for (const [name, value] of Object.entries(properties)) {
    if (value === undefined || value === null) continue;
    if (value instanceof SecretValue || isSecretPropertyName(name)) {
      out[name] = redactedText;
      continue;
    }
    const text =
      typeof value === 'string' ? value : typeof value === 'object' ? safeJson(value) : String(value);
    out[name] = redactText(text);
  }
  return out;
}

/** JSON of a nested value with secret-named members redacted (SecretValue redacts itself through toJSON). */
function safeJson(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (key, member: unknown) =>
        key !== '' && isSecretPropertyName(key) ? redactedText : member,
      ) ?? String(value)
    );
  } catch {
    return String(value);
  }
}
