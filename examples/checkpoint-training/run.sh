#!/usr/bin/env bash
# With `npm start` running: creates a workspace, an experiment and a one-node cluster (each unless it exists),
# submits the checkpointing training job (job.json beside this file), follows its stdout while it runs, waits for the
# end and lists the model.
# BATCHAI_ENDPOINT picks another API (default http://127.0.0.1:7071/api).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
batchai() { node "$repo/dist/cli/main.js" "$@"; }
g=demo w=ws e=exp
export BATCHAI_ADMIN_PASSWORD="${BATCHAI_ADMIN_PASSWORD:-Local-only-passw0rd}"

# Each is created only when missing: a re-run keeps what is there (e.g. a cluster resized to two nodes since; creating
# it again with other settings would be refused with PropertyChangeNotAllowed).
exists() { batchai "$@" -o none >/dev/null 2>&1; }
exists workspace show -g $g -n $w || batchai workspace create -g $g -n $w -l eastus -o table
exists experiment show -g $g -w $w -n $e || batchai experiment create -g $g -w $w -n $e -o table
exists cluster show -g $g -w $w -n cpu ||
  batchai cluster create -g $g -w $w -n cpu -s STANDARD_D1_V2 -t 1 -u demo -o table
# A node, idle or busy: a job submitted to a busy cluster waits in its queue (`job show` says why) and starts next.
echo "Waiting for the cluster to have a node..."
has_node() { [[ "$(batchai cluster show -g $g -w $w -n cpu --query currentNodeCount -o tsv)" =~ ^[1-9][0-9]*$ ]]; }
for _ in $(seq 120); do has_node && break || sleep 1; done
has_node ||
  echo "The cluster has no node yet; the job is submitted anyway and waits in its queue (see batchai job show)."

job="train-$(date +%H%M%S)"
sed "s#REPLACE_WITH_ABSOLUTE_PATH#$repo#" "$repo/examples/checkpoint-training/job.json" > "/tmp/$job.json"
batchai job create -g $g -w $w -e $e -n "$job" -c cpu -f "/tmp/$job.json" -o table
echo "Following stdout.txt of $job (Ctrl-C stops following, not the job)..."
batchai job file stream -g $g -w $w -e $e -j "$job" -f stdout.txt --interval 1
batchai job wait -g $g -w $w -e $e -n "$job" --interval 1
batchai job show -g $g -w $w -e $e -n "$job" -o table
echo "The trained model:"
batchai job file list -g $g -w $w -e $e -j "$job" -d MODEL -o table
echo "Its download links (valid for an hour; curl -o checkpoint.json '<link>'):"
batchai job file list -g $g -w $w -e $e -j "$job" -d MODEL --query '[].downloadUrl'
