// Data-plane roles on the storage account. The function app gets what the Functions host and the Durable
// Functions Azure Storage backend need (blobs incl. leases, queues, tables); the nodes get blob and queue data
// access only (logs, outputs, their task queues); the deployer may upload the node agent package.

param storageAccountName string
param functionPrincipalId string
param nodePrincipalId string
param agentPackageContainerName string
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

var nodeRoles = [
  roles.storageBlobDataContributor
  roles.storageQueueDataContributor
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

resource nodeStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in nodeRoles: {
    name: guid(storage.id, nodePrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: nodePrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource deployerAgentPackageRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(agentPackageContainer.id, deployerPrincipalId, roles.storageBlobDataContributor)
  scope: agentPackageContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}
