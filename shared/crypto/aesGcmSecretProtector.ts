// Seals secret values with AES-256-GCM: a fresh 96-bit IV per value, the context (resource id and path) as
// additional authenticated data, so a sealed value is useless elsewhere and any tampering fails to open.
import { createCipheriv, createDecipheriv, randomBytes } from 'crypto';
import type { SecretProtector } from '../ports/secretProtector';

const FORMAT = 'aesgcm1';

export class AesGcmSecretProtector implements SecretProtector {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key.');
  }

  seal(plainText: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const cipherText = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
    return [
      FORMAT,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      cipherText.toString('base64'),
    ].join(':');
  }

  open(sealed: string, context: string): string {
    const [format, iv, tag, cipherText, extra] = sealed.split(':');
    if (format !== FORMAT || !iv || !tag || cipherText === undefined || extra !== undefined)
      throw new Error('Not a sealed secret value.');
    // Exactly what seal() writes: a 96-bit IV and the full 128-bit tag (GCM would verify a tag cut to 4 bytes,
    // which a forger guesses far sooner), each in canonical base64 (one sealed value has one spelling).
    const ivBytes = canonicalBase64(iv, 12);
    const tagBytes = canonicalBase64(tag, 16);
    const cipherBytes = canonicalBase64(cipherText);
    if (!ivBytes || !tagBytes || !cipherBytes) throw new Error('Not a sealed secret value.');
    const decipher = createDecipheriv('aes-256-gcm', this.key, ivBytes, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(cipherBytes), decipher.final()]).toString('utf8');
  }
}

/** The bytes of `text` if it is canonical base64 (of `length` bytes when given); else undefined. */
function canonicalBase64(text: string, length?: number): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return undefined;
  return length === undefined || bytes.length === length ? bytes : undefined;
}
