// The virtual network: one subnet delegated to Microsoft.App/environments for the Flex Consumption app's VNet
// integration, one subnet for the nodes (the VMs of the scale sets the app creates) behind an NSG, and optionally
// a NAT gateway that gives both subnets explicit outbound internet access (Azure retires implicit default
// outbound access for new subnets; the nodes download Node.js and the agent package at boot).

param location string
param tags object
param vnetName string
param nodesNsgName string
param natGatewayName string
param natPublicIpName string
param addressPrefix string = '10.40.0.0/16'
@description('Function app VNet integration subnet (Flex Consumption: delegated to Microsoft.App/environments).')
param functionSubnetPrefix string = '10.40.0.0/24'
@description('Nodes subnet: a /20 holds about 4,000 VMs.')
param nodesSubnetPrefix string = '10.40.16.0/20'
param enableNatGateway bool = true

var functionSubnetName = 'snet-functions'
var nodesSubnetName = 'snet-nodes'

resource natPublicIp 'Microsoft.Network/publicIPAddresses@2024-05-01' = if (enableNatGateway) {
  name: natPublicIpName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
  }
}

resource natGateway 'Microsoft.Network/natGateways@2024-05-01' = if (enableNatGateway) {
  name: natGatewayName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    idleTimeoutInMinutes: 4
    publicIpAddresses: [
      {
        id: natPublicIp.id
      }
    ]
  }
}

// Nodes take no inbound traffic from outside the virtual network: the agent only makes outbound calls (Storage
// queues and blobs, the package download). Traffic between nodes stays open for multi-node jobs (MPI, NCCL,
// parameter servers use arbitrary ports).
resource nodesNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: nodesNsgName
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        name: 'AllowNodesToNodes'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: '*'
          sourceAddressPrefix: nodesSubnetPrefix
          sourcePortRange: '*'
          destinationAddressPrefix: nodesSubnetPrefix
          destinationPortRange: '*'
        }
      }
      {
        name: 'DenyInternetInbound'
        properties: {
          priority: 4000
          direction: 'Inbound'
          access: 'Deny'
          protocol: '*'
          sourceAddressPrefix: 'Internet'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '*'
        }
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: functionSubnetName
        properties: {
          addressPrefix: functionSubnetPrefix
          natGateway: enableNatGateway ? { id: natGateway.id } : null
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: nodesSubnetName
        properties: {
          addressPrefix: nodesSubnetPrefix
          natGateway: enableNatGateway ? { id: natGateway.id } : null
          networkSecurityGroup: {
            id: nodesNsg.id
          }
        }
      }
    ]
  }
}

output vnetId string = vnet.id
output functionSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, functionSubnetName)
output nodesSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, nodesSubnetName)
