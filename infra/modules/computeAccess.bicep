// What the function app's identity needs to run clusters and file servers: create, scale and delete VM scale sets,
// and file servers' VMs with their disks, network interfaces and setup extension, in this resource group (Virtual
// Machine Contributor, which also holds networkInterfaces/*, subnets/join/action and
// networkSecurityGroups/join/action, so no Network Contributor is needed to place nodes and file servers in the
// nodes subnet) and attach the nodes' user-assigned identity to those scale sets (Managed Identity Operator, scoped
// to that one identity).

param functionPrincipalId string
param nodeIdentityName string

var roles = loadJsonContent('../roles.json')

resource nodeIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: nodeIdentityName
}

resource vmContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, functionPrincipalId, roles.virtualMachineContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.virtualMachineContributor)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource nodeIdentityOperator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(nodeIdentity.id, functionPrincipalId, roles.managedIdentityOperator)
  scope: nodeIdentity
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.managedIdentityOperator)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}
