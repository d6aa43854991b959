// Log Analytics workspace and workspace-based Application Insights, both with local (key) authentication disabled:
// telemetry is accepted only from Entra ID identities holding Monitoring Metrics Publisher on the component.

param location string
param tags object
param logAnalyticsName string
param applicationInsightsName string
@description('Principal ids (managed identities) allowed to publish telemetry.')
param publisherPrincipalIds array
param retentionInDays int = 30

var roles = loadJsonContent('../roles.json')

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
  }
}

resource publisherRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principalId in publisherPrincipalIds: {
    name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
    scope: applicationInsights
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

output applicationInsightsName string = applicationInsights.name
// The connection string carries only the ingestion endpoint and the (non-secret) instrumentation key; with local
// auth disabled, ingestion still requires an Entra ID token.
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
output logAnalyticsWorkspaceId string = logAnalytics.id
