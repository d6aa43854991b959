// Cross-origin reads of blobs for the dashboard: it is served by the function app and reads job logs through SAS
// links (Range requests), so the blob service allows GET/HEAD from the function app's origin. A module of its own
// because the origin is known only once the function app exists.

@description('Name of the storage account.')
param storageAccountName string

@description('Origins allowed to read blobs cross-origin, e.g. https://<app>.azurewebsites.net')
param allowedOrigins array

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    cors: {
      corsRules: [
        {
          allowedOrigins: allowedOrigins
          allowedMethods: ['GET', 'HEAD']
          allowedHeaders: ['*']
          exposedHeaders: ['*']
          maxAgeInSeconds: 3600
        }
      ]
    }
  }
}
