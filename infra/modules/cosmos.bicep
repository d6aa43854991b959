// Cosmos DB (NoSQL API) with key authentication disabled: the database and containers the app needs (from
// infra/resources.json, generated from shared/config/resourceNames.ts) and the built-in Data Contributor role for
// the function app's identity. Serverless by default; provisioned autoscale throughput when asked.

param location string
param tags object
param accountName string
param databaseName string
@description('Containers: [{ id, partitionKeyPath }] (infra/resources.json).')
param containers array
param dataContributorPrincipalIds array
param serverless bool = true
@description('Autoscale maximum RU/s shared by the database (only when serverless is false).')
param autoscaleMaxThroughput int = 4000

var roles = loadJsonContent('../roles.json')

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    publicNetworkAccess: 'Enabled'
    minimalTlsVersion: 'Tls12'
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    capabilities: serverless ? [{ name: 'EnableServerless' }] : []
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: {
        tier: 'Continuous7Days'
      }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
    options: serverless ? {} : { autoscaleSettings: { maxThroughput: autoscaleMaxThroughput } }
  }
}

resource appContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for container in containers: {
    parent: database
    name: container.id
    properties: {
      resource: {
        id: container.id
        partitionKey: {
          paths: [
            container.partitionKeyPath
          ]
          kind: 'Hash'
          version: 2
        }
        indexingPolicy: {
          automatic: true
          indexingMode: 'consistent'
          includedPaths: [
            {
              path: '/*'
            }
          ]
          excludedPaths: [
            {
              path: '/"_etag"/?'
            }
          ]
        }
      }
    }
  }
]

// Data-plane RBAC of Cosmos DB is its own resource type (not Microsoft.Authorization/roleAssignments); the
// built-in "Cosmos DB Built-in Data Contributor" definition lives under the account.
resource dataContributors 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = [
  for principalId in dataContributorPrincipalIds: {
    parent: account
    name: guid(account.id, principalId, roles.cosmosDbBuiltInDataContributor)
    properties: {
      roleDefinitionId: '${account.id}/sqlRoleDefinitions/${roles.cosmosDbBuiltInDataContributor}'
      principalId: principalId
      scope: account.id
    }
  }
]

output accountName string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
