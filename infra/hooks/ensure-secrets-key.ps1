# azd preprovision hook (Windows): same as ensure-secrets-key.sh.
$ErrorActionPreference = 'Stop'
$existing = $env:SECRETS_ENCRYPTION_KEY
if (-not $existing) { $existing = (azd env get-value SECRETS_ENCRYPTION_KEY 2>$null) }
if ($LASTEXITCODE -ne 0) { $existing = $null }
if ($existing) { Write-Host 'SECRETS_ENCRYPTION_KEY is set for this azd environment: keeping it.'; exit 0 }
if ($env:AZURE_KEY_VAULT_NAME) {
  Write-Error ("This environment was provisioned before (Key Vault $($env:AZURE_KEY_VAULT_NAME)) but has no " +
    'SECRETS_ENCRYPTION_KEY. Restore it: azd env set SECRETS_ENCRYPTION_KEY (az keyvault secret show --vault-name ' +
    "$($env:AZURE_KEY_VAULT_NAME) --name secrets-encryption-key --query value -o tsv)")
  exit 1
}
$key = node -e "process.stdout.write(require('crypto').randomBytes(32).toString('base64'))"
azd env set SECRETS_ENCRYPTION_KEY $key
Write-Host 'Generated SECRETS_ENCRYPTION_KEY for this azd environment (kept in .azure/<env>/.env and in Key Vault).'
