# azd postdeploy hook of service api (Windows): same as upload-agent-package.sh (tar ships with Windows 10+).
$ErrorActionPreference = 'Stop'
foreach ($name in 'AZURE_STORAGE_ACCOUNT_NAME', 'AGENT_PACKAGE_CONTAINER', 'AGENT_PACKAGE_BLOB') {
  if (-not [Environment]::GetEnvironmentVariable($name)) { throw "$name is not set: run azd provision first" }
}
$archive = Join-Path ([IO.Path]::GetTempPath()) ("batchai-agent-" + [Guid]::NewGuid() + '.tgz')
try {
  tar -czf $archive package.json dist node_modules
  if ($LASTEXITCODE -ne 0) { throw 'tar failed' }
  az storage blob upload --auth-mode login --only-show-errors `
    --account-name $env:AZURE_STORAGE_ACCOUNT_NAME --container-name $env:AGENT_PACKAGE_CONTAINER `
    --name $env:AGENT_PACKAGE_BLOB --file $archive --overwrite
  if ($LASTEXITCODE -ne 0) { throw 'az storage blob upload failed' }
} finally {
  Remove-Item -Force -ErrorAction SilentlyContinue $archive
}
