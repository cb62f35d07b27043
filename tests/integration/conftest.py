# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the integration tests: the real module, run by ansible-playbook, against the simulator.

The simulator fixtures (`cmdb_sim`, `cmdb_sim_tls`) come from bk_cmdb_sim.pytest_plugin, loaded by
tests/conftest.py. This file adds the playbook runner and a `bk_cc_instance` callable that fills in
the connection options every task needs, so that a test states only what it is about.
"""

import os
import sys

import pytest

# pytest runs in importlib mode (tests/pytest.ini), which puts no test folder on sys.path; the
# harness and helpers next to this file are plain modules that tests import by name.
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from ansible_harness import PlaybookRunner, find_collections_root  # pylint: disable=wrong-import-position
from cmdb_helpers import DEFAULT_OBJ, KNOWN_SECRETS, MODULE, connection_options, through_vars  # pylint: disable=wrong-import-position


@pytest.fixture(scope="session")
def collections_root():
    root = find_collections_root(__file__)
    if root is None:
        pytest.fail(
            "the integration tests must run from a staged collection (.../ansible_collections/blueking/cmdb); "
            "run them with `make integration` (or `make pytest`), which stages the collection into build/ first",
            pytrace=False)
    return root


@pytest.fixture
def ansible(tmp_path, collections_root):
    """A PlaybookRunner that fails any run which crashes or prints one of the known secrets."""
    return PlaybookRunner(tmp_path, collections_root, forbidden_strings=KNOWN_SECRETS)


@pytest.fixture
def bk_cc_instance(ansible):
    """Run `blueking.cmdb.bk_cc_instance` with state=absent against `target`.

    Connection options default to the simulator's `ansible-test` app as `ops-bot`; keyword
    arguments override them, `omit` drops options (to test env fallbacks and module_defaults),
    and the runner options (check, diff, verbosity, env, module_defaults) pass through.
    """

    def run(target, inst_ids=None, omit=(), check=False, diff=False, verbosity=0, env=None, module_defaults=None, **overrides):
        args = connection_options(target, **dict({"bk_obj_id": DEFAULT_OBJ, "state": "absent"}, **overrides))
        if inst_ids is not None:
            args["inst_ids"] = inst_ids
        for key in omit:
            args.pop(key, None)
        extra_vars = {}
        args = through_vars(args, "task", extra_vars)
        if module_defaults:
            module_defaults = {group: through_vars(values, "defaults", extra_vars) for group, values in module_defaults.items()}
        return ansible.run(MODULE, args, check=check, diff=diff, verbosity=verbosity, env=env,
                           module_defaults=module_defaults, extra_vars=extra_vars)

    return run
