// Data-plane roles on the storage account. The function app gets what the Functions host and the Durable
// Functions Azure Storage backend need (blobs incl. leases, queues, tables); the nodes get queue data access (their
// task queues, node events) and blob access only to the containers they write (logs, setup output) and to read the
// node agent package: never to the function app's own package or the agent package, which every new VM installs;
// the deployer may upload the node agent package.

param storageAccountName string
param functionPrincipalId string
param nodePrincipalId string
param agentPackageContainerName string
@description('Blob containers the node agents write (job logs, setup output).')
param nodeBlobContainerNames array
@description('Object id of the person or pipeline running azd (uploads the node agent package); empty: none.')
param deployerPrincipalId string = ''
@allowed(['User', 'ServicePrincipal', 'Group'])
param deployerPrincipalType string = 'User'

var roles = loadJsonContent('../roles.json')

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource agentPackageContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: agentPackageContainerName
}

var functionRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

resource nodeBlobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [
  for name in nodeBlobContainerNames: {
    parent: blobService
    name: name
  }
]

resource functionStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in functionRoles: {
    name: guid(storage.id, functionPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: functionPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource nodeQueueRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, nodePrincipalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: nodePrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource nodeBlobRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in nodeBlobContainerNames: {
    name: guid(nodeBlobContainers[i].id, nodePrincipalId, roles.storageBlobDataContributor)
    scope: nodeBlobContainers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
      principalId: nodePrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource nodeAgentPackageRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(agentPackageContainer.id, nodePrincipalId, roles.storageBlobDataReader)
  scope: agentPackageContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
    principalId: nodePrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource deployerAgentPackageRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(agentPackageContainer.id, deployerPrincipalId, roles.storageBlobDataContributor)
  scope: agentPackageContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}
