// The two user-assigned identities: the function app's (control plane) and the nodes' (the VMs of the scale sets
// the app creates). Separate identities keep the nodes from holding the app's rights (Cosmos DB, compute).

param location string
param tags object
param functionIdentityName string
param nodeIdentityName string

resource functionIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: functionIdentityName
  location: location
  tags: tags
}

resource nodeIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: nodeIdentityName
  location: location
  tags: tags
}

output functionIdentityId string = functionIdentity.id
output functionIdentityName string = functionIdentity.name
output functionIdentityClientId string = functionIdentity.properties.clientId
output functionIdentityPrincipalId string = functionIdentity.properties.principalId
output nodeIdentityId string = nodeIdentity.id
output nodeIdentityName string = nodeIdentity.name
output nodeIdentityClientId string = nodeIdentity.properties.clientId
output nodeIdentityPrincipalId string = nodeIdentity.properties.principalId
