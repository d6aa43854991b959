// Key Vault in RBAC mode holding the app's secrets-sealing key (SECRETS_ENCRYPTION_KEY). The function app reads
// it through a Key Vault reference app setting with its user-assigned identity (Key Vault Secrets User).

param location string
param tags object
param keyVaultName string
@secure()
@description('Base64 of 32 random bytes (AES-256); generated once by the azd preprovision hook.')
param secretsEncryptionKey string
param secretReaderPrincipalIds array
@description('Purge protection cannot be turned off again; recommended for production (protects the key).')
param enablePurgeProtection bool = false

var roles = loadJsonContent('../roles.json')

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // The API rejects an explicit false: omit the property unless it is turned on.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource encryptionKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'secrets-encryption-key'
  properties: {
    value: secretsEncryptionKey
    contentType: 'base64 AES-256 key'
  }
}

resource secretReaders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principalId in secretReaderPrincipalIds: {
    name: guid(vault.id, principalId, roles.keyVaultSecretsUser)
    scope: vault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

output keyVaultName string = vault.name
output keyVaultUri string = vault.properties.vaultUri
// Versionless: the app follows the current version (a rotation must re-seal stored secrets first).
output secretsEncryptionKeySecretUri string = encryptionKeySecret.properties.secretUri
