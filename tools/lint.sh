#!/usr/bin/env bash
# Usage: tools/lint.sh STAGE_DIR
#
# Offline linters on the staged collection (STAGE_DIR ends in ansible_collections/blueking/cmdb):
#   1. ansible-lint --profile production: examples/ playbooks, meta/, changelogs/, galaxy.yml
#   2. antsibull-changelog lint: changelogs/fragments/*.yml and changelogs/changelog.yaml
#   3. antsibull-docs lint-collection-docs --plugin-docs: module docs as the docsite renders them,
#      docs/docsite/extra-docs.yml and the guides in docs/docsite/rst/
# All three run even when one fails; the exit status is non-zero if any failed.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 STAGE_DIR" >&2
    exit 2
fi

STAGE_DIR="$(cd "$1" && pwd)"
case "${STAGE_DIR}" in
    */ansible_collections/blueking/cmdb) ;;
    *) echo "lint: ${STAGE_DIR} is not .../ansible_collections/blueking/cmdb (run 'make stage')" >&2; exit 2 ;;
esac
cd "${STAGE_DIR}"
# The stage's ansible_collections root, so that playbooks resolve blueking.cmdb.* to this copy
# (and to nothing installed elsewhere on the machine).
COLLECTIONS_ROOT="$(cd ../../.. && pwd)"

declare -a SUMMARY=()
overall=0

step() {
    local name="$1" start rc
    shift
    printf '\n== lint: %s\n' "${name}"
    start=${SECONDS}
    set +e
    "$@"
    rc=$?
    set -e
    if [[ ${rc} -eq 0 ]]; then
        SUMMARY+=("PASS  ${name} ($((SECONDS - start))s)")
    else
        SUMMARY+=("FAIL  ${name} (exit ${rc}, $((SECONDS - start))s)")
        overall=1
    fi
}

# tests/output holds ansible-test's virtualenvs when sanity ran first in the same stage;
# tools/ and tests/ never ship (galaxy.yml build_ignore) and hold no playbooks.
step "ansible-lint --profile production" \
    env ANSIBLE_COLLECTIONS_PATH="${COLLECTIONS_ROOT}" ansible-lint --profile production --offline --strict --nocolor \
    --exclude tests/ --exclude tools/ --exclude .ci/

step "antsibull-changelog lint" \
    antsibull-changelog lint

step "antsibull-docs lint-collection-docs --plugin-docs" \
    antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs \
    --validate-collection-refs dependent --disallow-unknown-collection-refs .

printf '\n== lint summary\n'
printf '%s\n' "${SUMMARY[@]}"
exit ${overall}
