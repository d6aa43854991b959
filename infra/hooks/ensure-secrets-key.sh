#!/bin/sh
# azd preprovision hook: gives the azd environment a SECRETS_ENCRYPTION_KEY (base64 of 32 random bytes) once, so
# that every later `azd provision` writes the SAME key to Key Vault (a new key would make sealed secrets unreadable).
set -eu
if [ -n "${SECRETS_ENCRYPTION_KEY:-}" ] || [ -n "$(azd env get-value SECRETS_ENCRYPTION_KEY 2>/dev/null || true)" ]; then
  echo "SECRETS_ENCRYPTION_KEY is set for this azd environment: keeping it."
  exit 0
fi
if [ -n "${AZURE_KEY_VAULT_NAME:-}" ]; then
  echo "This environment was provisioned before (Key Vault $AZURE_KEY_VAULT_NAME) but has no SECRETS_ENCRYPTION_KEY." >&2
  echo "Restore the existing key instead of generating a new one:" >&2
  echo "  azd env set SECRETS_ENCRYPTION_KEY \"\$(az keyvault secret show --vault-name $AZURE_KEY_VAULT_NAME --name secrets-encryption-key --query value -o tsv)\"" >&2
  exit 1
fi
key=$(node -e "process.stdout.write(require('crypto').randomBytes(32).toString('base64'))")
azd env set SECRETS_ENCRYPTION_KEY "$key"
echo "Generated SECRETS_ENCRYPTION_KEY for this azd environment (kept in .azure/<env>/.env and in Key Vault)."
