import { ConfigurationError, readAppConfig } from './appConfig';

const key = Buffer.alloc(32, 7).toString('base64');
const base = { COSMOS_ENDPOINT: 'https://127.0.0.1:8081/', SECRETS_ENCRYPTION_KEY: key };

describe('readAppConfig', () => {
  test('uses the account key when COSMOS_KEY is set (local emulator)', () => {
    expect(readAppConfig({ ...base, COSMOS_KEY: 'k' }).cosmos.key).toBe('k');
  });

  test('leaves the key out when COSMOS_KEY is absent, so the managed identity is used (Azure)', () => {
    const config = readAppConfig(base);
    expect(config.cosmos.key).toBeUndefined();
    expect(config.cosmos.database).toBe('batchai');
  });

  test('names the setting when the encryption key is not 32 bytes', () => {
    expect(() => readAppConfig({ ...base, SECRETS_ENCRYPTION_KEY: 'c2hvcnQ=' })).toThrow(
      /SECRETS_ENCRYPTION_KEY/,
    );
    expect(() => readAppConfig({ ...base, SECRETS_ENCRYPTION_KEY: 'c2hvcnQ=' })).toThrow(ConfigurationError);
  });

  test('names the setting when the Cosmos endpoint is not a URL', () => {
    expect(() => readAppConfig({ ...base, COSMOS_ENDPOINT: 'nope' })).toThrow(/COSMOS_ENDPOINT/);
  });
});
