#!/usr/bin/env bash
# `make demo`: start the CMDB simulator on 127.0.0.1 with sample data, then run the example
# decommission playbook three times: --check --diff (dry run), for real, and again (no change).
#
# Usage: tools/demo.sh STAGE_DIR [--collections-path DIR]
#   STAGE_DIR             staged collection (.../ansible_collections/blueking/cmdb); the simulator
#                         and the example playbook are taken from it
#   --collections-path    use the collection installed under DIR instead of the staged copy
#                         (tools/package_check.sh runs the demo against the built tarball)
set -euo pipefail

stage=${1:?usage: tools/demo.sh STAGE_DIR [--collections-path DIR]}
shift
collections_path=$(cd "$stage/../../.." && pwd)
while [ $# -gt 0 ]; do
  case "$1" in
    --collections-path) collections_path=$2; shift 2 ;;
    *) echo "demo.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

workdir=$(mktemp -d)
sim_pid=
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$workdir"
}
trap cleanup EXIT

PYTHONPATH="$stage/tests/simulator" python -m bk_cmdb_sim --port 0 --seed demo >"$workdir/sim.out" 2>"$workdir/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do
  [ -s "$workdir/sim.out" ] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$workdir/sim.err" >&2; echo "demo: the simulator did not start" >&2; exit 1; }
  sleep 0.1
done
url=$(head -n 1 "$workdir/sim.out")
[ -n "$url" ] || { echo "demo: the simulator printed no URL" >&2; exit 1; }
echo "== CMDB simulator with demo data at $url"

export BK_PAAS_HOST=$url BK_APP_CODE=ansible-test BK_APP_SECRET=sim-secret-ansible-test BK_USERNAME=ops-bot
export ANSIBLE_COLLECTIONS_PATH=$collections_path ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_NOCOLOR=1
export ANSIBLE_LOCAL_TEMP=$workdir/tmp ANSIBLE_RETRY_FILES_ENABLED=false
playbook="$stage/examples/decommission_retired_firewalls.yml"

echo "== 1. dry run: ansible-playbook --check --diff (nothing is written)"
ansible-playbook --check --diff "$playbook"
echo "== 2. the real run"
ansible-playbook "$playbook"
echo "== 3. the same run again: nothing left to delete, changed=0"
ansible-playbook "$playbook"

writes=$(python - "$url" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/__sim__/requests?api=batch_delete_inst") as reply:
    print(len(json.load(reply)))
PY
)
echo "== the simulator received $writes batch_delete_inst request(s) in all (only from run 2)"
