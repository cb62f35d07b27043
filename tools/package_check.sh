#!/usr/bin/env bash
# Usage: tools/package_check.sh STAGE_DIR
#
# Checks the collection as users get it, not as it sits in the repository:
#   1. ansible-galaxy collection build from the staged copy into a temporary directory
#   2. the tarball holds what users need and none of the development files (galaxy.yml build_ignore)
#   3. ansible-galaxy collection install --offline of that tarball into a temporary collections path,
#      then ansible-galaxy collection verify --offline and ansible-doc against the installed copy
#   4. tools/demo.sh --collections-path: the example playbook runs with the *installed* collection
#   5. ansible-builder introspect on the installed copy: meta/execution-environment.yml resolves
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 STAGE_DIR" >&2
    exit 2
fi

TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STAGE_DIR="$(cd "$1" && pwd)"
case "${STAGE_DIR}" in
    */ansible_collections/blueking/cmdb) ;;
    *) echo "package: ${STAGE_DIR} is not .../ansible_collections/blueking/cmdb (run 'make stage')" >&2; exit 2 ;;
esac

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/blueking-cmdb-package.XXXXXX")"
trap 'rm -rf "${WORK_DIR}"' EXIT
COLLECTIONS_PATH="${WORK_DIR}/collections"
INSTALLED="${COLLECTIONS_PATH}/ansible_collections/blueking/cmdb"

section() {
    printf '\n== package: %s\n' "$*"
}

fail() {
    echo "package: FAIL: $*" >&2
    exit 1
}

section "build"
ansible-galaxy collection build "${STAGE_DIR}" --output-path "${WORK_DIR}/dist"
tarball="$(echo "${WORK_DIR}"/dist/blueking-cmdb-*.tar.gz)"
[[ -f "${tarball}" ]] || fail "no blueking-cmdb-*.tar.gz was built"
echo "built $(basename "${tarball}") ($(du -h "${tarball}" | cut -f1))"

section "tarball contents"
tar -tzf "${tarball}" | sed -e 's|^\./||' -e 's|/$||' | sort > "${WORK_DIR}/contents.txt"
# Development-only paths: tests (and ansible-test's tests/output), tooling, build output,
# virtualenvs, CI, caches and stray tarballs.
forbidden='^(tests|tools|build|\.ci|\.venv[^/]*|\.git|\.ansible|\.pytest_cache|\.hypothesis|\.benchmarks)(/|$)|(^|/)__pycache__(/|$)|\.pyc$|^Makefile$|\.tar\.gz$|^changelogs/\.plugin-cache\.yaml$'
if grep -E "${forbidden}" "${WORK_DIR}/contents.txt"; then
    fail "the tarball holds the development files listed above; extend build_ignore in galaxy.yml"
fi
required=(
    MANIFEST.json FILES.json README.md COPYING requirements.txt
    meta/runtime.yml meta/execution-environment.yml
    plugins/modules/bk_cc_instance.py plugins/doc_fragments/connection.py
    docs/docsite/extra-docs.yml
)
[[ -f "${STAGE_DIR}/CHANGELOG.rst" ]] && required+=(CHANGELOG.rst changelogs/changelog.yaml)
for path in "${required[@]}"; do
    grep -qxF "${path}" "${WORK_DIR}/contents.txt" || fail "the tarball lacks ${path}"
done
echo "$(wc -l < "${WORK_DIR}/contents.txt") entries; no development files; all of: ${required[*]}"

section "install --offline into ${COLLECTIONS_PATH}"
ANSIBLE_COLLECTIONS_PATH="${COLLECTIONS_PATH}" \
    ansible-galaxy collection install --offline --collections-path "${COLLECTIONS_PATH}" "${tarball}"
[[ -f "${INSTALLED}/MANIFEST.json" ]] || fail "nothing installed at ${INSTALLED}"
ANSIBLE_COLLECTIONS_PATH="${COLLECTIONS_PATH}" \
    ansible-galaxy collection verify --offline --collections-path "${COLLECTIONS_PATH}" blueking.cmdb
# The installed module's docs must load from the installed copy alone.
ANSIBLE_COLLECTIONS_PATH="${COLLECTIONS_PATH}" ansible-doc --json blueking.cmdb.bk_cc_instance \
    > "${WORK_DIR}/ansible-doc.json" || fail "ansible-doc cannot load blueking.cmdb.bk_cc_instance from the installed copy"
python3 - "${WORK_DIR}/ansible-doc.json" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as doc_file:
    doc = json.load(doc_file)["blueking.cmdb.bk_cc_instance"]["doc"]
print("ansible-doc blueking.cmdb.bk_cc_instance: %s (%d options)" % (doc["short_description"], len(doc["options"])))
PY

section "demo playbook against the installed collection"
if [[ -f "${TOOLS_DIR}/demo.sh" ]]; then
    bash "${TOOLS_DIR}/demo.sh" "${STAGE_DIR}" --collections-path "${COLLECTIONS_PATH}"
else
    echo "SKIP: tools/demo.sh is missing, the example playbook was not run against the installed collection"
fi

section "ansible-builder introspect (execution environment dependencies)"
introspect_args=()
# --sanitize was the default and then dropped as an option (ansible-builder 3); pass it where it exists.
if ansible-builder introspect --help | grep -q -- '--sanitize'; then
    introspect_args+=(--sanitize)
fi
ansible-builder introspect "${introspect_args[@]}" "${COLLECTIONS_PATH}" | tee "${WORK_DIR}/introspect.txt"
grep -Eq "^- '?requests.*from collection blueking\.cmdb" "${WORK_DIR}/introspect.txt" \
    || fail "ansible-builder did not find the requests dependency of blueking.cmdb"

section "PASS: build, contents, offline install, demo and execution-environment dependencies"
