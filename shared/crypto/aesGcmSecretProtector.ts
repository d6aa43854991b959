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
    const [format, iv, tag, cipherText] = sealed.split(':');
    if (format !== FORMAT || !iv || !tag || cipherText === undefined)
      throw new Error('Not a sealed secret value.');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(cipherText, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  }
}
