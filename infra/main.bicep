// Azure infrastructure of the Batch AI successor, deployed into one resource group by `azd up` (or
// `az deployment group create`): Function App (Flex Consumption), Storage, Cosmos DB, Application Insights, Key
// Vault, two user-assigned identities with least-privilege roles, and the network the app and its nodes use.
// Containers, queues and blob containers come from resources.json, generated from shared/config/resourceNames.ts.
// Written without a Bicep compiler at hand: the first `azd provision` is the real check (docs/deploy-azure.md).
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource; it must offer the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string = resourceGroup().location

@description('Object id of the person or pipeline running azd (set by azd as AZURE_PRINCIPAL_ID); empty: none.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param principalType string = 'User'

@secure()
@minLength(44)
@maxLength(44)
@description('Base64 of 32 random bytes sealing job secrets; the azd preprovision hook generates it once.')
param secretsEncryptionKey string

@allowed(['AzureStorage', 'DurableTaskScheduler'])
@description('Durable Functions backend to provision; it must match host.json extensions.durableTask.storageProvider.')
param durableBackend string = 'AzureStorage'

@description('Durable task hub name (host.json hubName); used for the Durable Task Scheduler task hub.')
param taskHubName string = 'BatchAIHub'

@minLength(1)
@description('Audience of the API\'s access tokens: its application id URI (api://<app-id>) and/or app id, comma-separated (docs/security.md).')
param authAudience string

@description('Object ids (users, groups, service principals) that own every workspace, comma-separated; empty: none.')
param authAdminPrincipals string = ''

@description('Object ids allowed to create workspaces, comma-separated, or * for every caller of the tenant; empty: admins only.')
param authWorkspaceCreators string = ''

@description('Application (client) id of the app registration the web dashboard signs in with (a single-page app redirect URI https://<function app host>/api/dashboard/); empty: the dashboard has no sign-in (docs/security.md).')
param dashboardClientId string = ''

param cosmosServerless bool = true
param cosmosAutoscaleMaxThroughput int = 4000
param functionMaximumInstanceCount int = 100
param enableNatGateway bool = true
param keyVaultPurgeProtection bool = false

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = {
  'azd-env-name': environmentName
}
var appResources = loadJsonContent('resources.json')
var deploymentContainerName = 'app-package'
var agentPackageContainerName = 'node-agent'
var agentPackageBlobName = 'batchai-agent.tgz'
var useDurableTaskScheduler = durableBackend == 'DurableTaskScheduler'

module identities 'modules/identities.bicep' = {
  name: 'identities'
  params: {
    location: location
    tags: tags
    functionIdentityName: 'id-func-${resourceToken}'
    nodeIdentityName: 'id-nodes-${resourceToken}'
  }
}

module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    location: location
    tags: tags
    vnetName: 'vnet-${resourceToken}'
    nodesNsgName: 'nsg-nodes-${resourceToken}'
    natGatewayName: 'ng-${resourceToken}'
    natPublicIpName: 'pip-ng-${resourceToken}'
    enableNatGateway: enableNatGateway
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    // The nodes publish their clusters' performance counters when a cluster names this component.
    publisherPrincipalIds: [
      identities.outputs.functionIdentityPrincipalId
      identities.outputs.nodeIdentityPrincipalId
    ]
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    storageAccountName: 'st${resourceToken}'
    deploymentContainerName: deploymentContainerName
    agentPackageContainerName: agentPackageContainerName
    appBlobContainers: appResources.blobContainers
    appQueues: appResources.storageQueues
  }
}

module storageAccess 'modules/storageAccess.bicep' = {
  name: 'storageAccess'
  params: {
    storageAccountName: storage.outputs.storageAccountName
    functionPrincipalId: identities.outputs.functionIdentityPrincipalId
    nodePrincipalId: identities.outputs.nodeIdentityPrincipalId
    agentPackageContainerName: agentPackageContainerName
    // The app's blob containers are the ones node agents write (job-files, node-setup-output).
    nodeBlobContainerNames: appResources.blobContainers
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    location: location
    tags: tags
    accountName: 'cosmos-${resourceToken}'
    databaseName: appResources.cosmosDatabaseName
    containers: appResources.cosmosContainers
    dataContributorPrincipalIds: [
      identities.outputs.functionIdentityPrincipalId
    ]
    serverless: cosmosServerless
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  params: {
    location: location
    tags: tags
    keyVaultName: 'kv-${resourceToken}'
    secretsEncryptionKey: secretsEncryptionKey
    secretReaderPrincipalIds: [
      identities.outputs.functionIdentityPrincipalId
    ]
    enablePurgeProtection: keyVaultPurgeProtection
  }
}

// Node data keys (secrets sealed for nodes): written by the app, read by the nodes' identity; a vault of their own,
// so the node identity can never read SECRETS_ENCRYPTION_KEY. See docs/compute.md (Secrets to nodes).
module nodeKeyVault 'modules/nodeKeyVault.bicep' = {
  name: 'nodeKeyVault'
  params: {
    location: location
    tags: tags
    keyVaultName: 'kvn-${resourceToken}'
    officerPrincipalId: identities.outputs.functionIdentityPrincipalId
    readerPrincipalId: identities.outputs.nodeIdentityPrincipalId
    enablePurgeProtection: keyVaultPurgeProtection
  }
}

module computeAccess 'modules/computeAccess.bicep' = {
  name: 'computeAccess'
  params: {
    functionPrincipalId: identities.outputs.functionIdentityPrincipalId
    nodeIdentityName: identities.outputs.nodeIdentityName
  }
}

module durableTaskScheduler 'modules/durableTaskScheduler.bicep' = if (useDurableTaskScheduler) {
  name: 'durableTaskScheduler'
  params: {
    location: location
    tags: tags
    schedulerName: 'dts-${resourceToken}'
    taskHubName: taskHubName
    dataContributorPrincipalId: identities.outputs.functionIdentityPrincipalId
  }
}

// The settings shared/config/appConfig.ts and shared/config/computeConfig.ts read on Azure.
var appSettings = {
  COSMOS_ENDPOINT: cosmos.outputs.endpoint
  COSMOS_DATABASE: cosmos.outputs.databaseName
  SECRETS_ENCRYPTION_KEY: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.secretsEncryptionKeySecretUri})'
  COMPUTE_BACKEND: 'vmss'
  COMPUTE_SUBSCRIPTION_ID: subscription().subscriptionId
  COMPUTE_RESOURCE_GROUP: resourceGroup().name
  COMPUTE_LOCATION: location
  COMPUTE_IDENTITY_ID: identities.outputs.nodeIdentityId
  COMPUTE_IDENTITY_CLIENT_ID: identities.outputs.nodeIdentityClientId
  COMPUTE_STORAGE_BLOB_ENDPOINT: storage.outputs.blobEndpoint
  COMPUTE_STORAGE_QUEUE_ENDPOINT: storage.outputs.queueEndpoint
  COMPUTE_AGENT_PACKAGE_URL: '${storage.outputs.blobEndpoint}${agentPackageContainerName}/${agentPackageBlobName}'
  COMPUTE_SUBNET_ID: network.outputs.nodesSubnetId
  COMPUTE_KEY_VAULT_URL: nodeKeyVault.outputs.keyVaultUri
  // Never read for a user's Key Vault reference (shared/config/keyVaultReferenceConfig.ts): the app's own vaults.
  KEY_VAULT_REFERENCE_DENIED_VAULTS: '${keyVault.outputs.keyVaultName},${nodeKeyVault.outputs.keyVaultName}'
  // API security (shared/security): Entra ID tokens of this tenant, roles per workspace. Never 'none' on Azure.
  AUTH_MODE: 'entra'
  AUTH_TENANT_ID: tenant().tenantId
  AUTH_AUDIENCE: authAudience
  AUTH_ADMIN_PRINCIPALS: authAdminPrincipals
  AUTH_WORKSPACE_CREATORS: authWorkspaceCreators
  DASHBOARD_CLIENT_ID: dashboardClientId
}

// host.json must say storageProvider { type: 'azureManaged', connectionStringName:
// 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING' } and hubName '%TASKHUB_NAME%' for these to be used.
var durableTaskSchedulerSettings = useDurableTaskScheduler
  ? {
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskScheduler.outputs.endpoint};Authentication=ManagedIdentity;ClientID=${identities.outputs.functionIdentityClientId}'
      TASKHUB_NAME: taskHubName
    }
  : {}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  params: {
    location: location
    tags: tags
    planName: 'plan-${resourceToken}'
    appName: 'func-${resourceToken}'
    identityId: identities.outputs.functionIdentityId
    identityClientId: identities.outputs.functionIdentityClientId
    storageAccountName: storage.outputs.storageAccountName
    deploymentBlobContainerUrl: '${storage.outputs.blobEndpoint}${deploymentContainerName}'
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    virtualNetworkSubnetId: network.outputs.functionSubnetId
    appSettings: union(appSettings, durableTaskSchedulerSettings)
    maximumInstanceCount: functionMaximumInstanceCount
  }
  // The app starts as soon as it exists: let its identity hold its data roles first.
  dependsOn: [
    storageAccess
    keyVault
  ]
}

module storageCors 'modules/storageCors.bicep' = {
  name: 'storageCors'
  params: {
    storageAccountName: storage.outputs.storageAccountName
    allowedOrigins: ['https://${functionApp.outputs.defaultHostName}']
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup().name
output SERVICE_API_NAME string = functionApp.outputs.appName
output SERVICE_API_URI string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_FUNCTION_NAME string = functionApp.outputs.appName
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.storageAccountName
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output AZURE_COSMOS_DATABASE string = cosmos.outputs.databaseName
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.keyVaultName
output AGENT_PACKAGE_CONTAINER string = agentPackageContainerName
output AGENT_PACKAGE_BLOB string = agentPackageBlobName
output COMPUTE_SUBNET_ID string = network.outputs.nodesSubnetId
output COMPUTE_IDENTITY_ID string = identities.outputs.nodeIdentityId
