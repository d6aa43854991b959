// The Function App on the Flex Consumption plan (FC1, Linux, Node 22): code deployed by azd into a blob container
// read with the app's user-assigned identity, VNet integration, identity-based AzureWebJobsStorage and Entra ID
// authentication to Application Insights. No keys or connection strings with secrets in the app settings.

param location string
param tags object
param planName string
param appName string
@description('azd deploys the service whose tag azd-service-name matches azure.yaml.')
param serviceName string = 'api'
param identityId string
param identityClientId string
param storageAccountName string
param deploymentBlobContainerUrl string
param applicationInsightsConnectionString string
param virtualNetworkSubnetId string
@description('App settings specific to this app (merged over the platform ones).')
param appSettings object
param nodeVersion string = '22'
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

var platformSettings = {
  // Identity-based host storage: no AzureWebJobsStorage connection string exists (shared keys are disabled).
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  // Entra ID ingestion (Application Insights has local auth disabled).
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // DefaultAzureCredential in the app (Cosmos DB, Storage, Resource Manager) picks this identity.
  AZURE_CLIENT_ID: identityClientId
}

var allSettings = union(platformSettings, appSettings)

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the user-assigned identity (the default would be a system identity).
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: map(items(allSettings), setting => {
        name: setting.key
        value: setting.value
      })
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentBlobContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

output appName string = site.name
output defaultHostName string = site.properties.defaultHostName
