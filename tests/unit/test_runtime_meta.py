# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta/runtime.yml must list every module in the `cmdb` action group, and nothing else.

A module missing from the group silently ignores `module_defaults: group/blueking.cmdb.cmdb`
and fails for lack of credentials; a stale entry points at a module that no longer exists.
"""

from __future__ import annotations

import os

import yaml

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES_DIR = os.path.join(COLLECTION_ROOT, "plugins", "modules")
RUNTIME_YML = os.path.join(COLLECTION_ROOT, "meta", "runtime.yml")


def load_runtime():
    with open(RUNTIME_YML, encoding="utf-8") as runtime_file:
        return yaml.safe_load(runtime_file)


def module_names():
    return sorted(
        os.path.splitext(name)[0]
        for name in os.listdir(MODULES_DIR)
        if name.endswith(".py") and name != "__init__.py"
    )


def test_modules_dir_is_not_empty():
    assert module_names(), "no modules found in %s" % MODULES_DIR


def test_action_group_lists_exactly_the_modules():
    group = load_runtime()["action_groups"]["cmdb"]
    assert len(group) == len(set(group)), "duplicate entries in action_groups.cmdb: %s" % group
    assert sorted(group) == module_names()


def test_requires_ansible_is_set():
    assert load_runtime()["requires_ansible"].startswith(">=2.19")
