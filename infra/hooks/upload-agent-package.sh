#!/bin/sh
# azd postdeploy hook of service api: uploads the node agent package (the built app: package.json, dist/ and the
# production node_modules the prepackage hook left) to the blob COMPUTE_AGENT_PACKAGE_URL names. Scale set VMs
# download it at boot with their managed identity. Needs the Azure CLI signed in (`az login`).
set -eu
: "${AZURE_STORAGE_ACCOUNT_NAME:?run azd provision first}"
: "${AGENT_PACKAGE_CONTAINER:?run azd provision first}"
: "${AGENT_PACKAGE_BLOB:?run azd provision first}"
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
tar -czf "$workdir/agent.tgz" package.json dist node_modules
az storage blob upload --auth-mode login --only-show-errors \
  --account-name "$AZURE_STORAGE_ACCOUNT_NAME" --container-name "$AGENT_PACKAGE_CONTAINER" \
  --name "$AGENT_PACKAGE_BLOB" --file "$workdir/agent.tgz" --overwrite
echo "Uploaded the node agent package to $AGENT_PACKAGE_CONTAINER/$AGENT_PACKAGE_BLOB."
