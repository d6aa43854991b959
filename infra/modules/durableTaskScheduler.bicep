// Optional Durable Functions backend: a Durable Task Scheduler (Consumption SKU) with one task hub, and the Durable
// Task Data Contributor role for the function app's identity. Used when host.json selects the "azureManaged"
// storage provider (docs/deploy-azure.md).

param location string
param tags object
param schedulerName string
param taskHubName string
param dataContributorPrincipalId string
@description('IP ranges allowed to reach the scheduler; an empty list denies all traffic.')
param ipAllowlist array = ['0.0.0.0/0']

var roles = loadJsonContent('../roles.json')

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: schedulerName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'Consumption'
    }
    ipAllowlist: ipAllowlist
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
  properties: {}
}

resource dataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scheduler.id, dataContributorPrincipalId, roles.durableTaskDataContributor)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.durableTaskDataContributor)
    principalId: dataContributorPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
