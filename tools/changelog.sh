#!/usr/bin/env bash
# Usage: tools/changelog.sh lint|release
#
#   lint     check changelogs/fragments/*.yml and changelogs/changelog.yaml
#   release  cut the version in galaxy.yml: fold the fragments into changelogs/changelog.yaml
#            (new modules are found with ansible-doc), delete them, and regenerate CHANGELOG.rst.
#            Commit the result together with the fragment deletions.
#
# Needs antsibull-changelog and ansible-doc on PATH: PATH="$PWD/.venv/bin:$PATH" bash tools/changelog.sh release
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

for program in antsibull-changelog ansible-doc; do
    if ! command -v "${program}" >/dev/null 2>&1; then
        echo "changelog: ${program} not on PATH (run 'make venv' and put .venv/bin first)" >&2
        exit 2
    fi
done

version() {
    python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["version"])' galaxy.yml
}

case "${1:-}" in
    lint)
        antsibull-changelog lint
        ;;
    release)
        release_version="$(version)"
        antsibull-changelog lint
        antsibull-changelog release --version "${release_version}"
        echo "changelog: released ${release_version}; commit changelogs/ and CHANGELOG.rst"
        ;;
    *)
        echo "usage: $0 lint|release" >&2
        exit 2
        ;;
esac
