# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pytest setup.

Tests run from a staged copy at <root>/ansible_collections/blueking/cmdb (``make pytest``), so
``ansible_collections.blueking.cmdb`` imports resolve against exactly the files under test.
The CMDB simulator package lives in tests/simulator and brings its fixtures as a plugin.
"""

from __future__ import annotations

import os
import sys

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
COLLECTION_DIR = os.path.dirname(TESTS_DIR)
COLLECTIONS_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(COLLECTION_DIR)))
SIMULATOR_DIR = os.path.join(TESTS_DIR, "simulator")

if not COLLECTION_DIR.endswith(os.path.join("ansible_collections", "blueking", "cmdb")):
    raise RuntimeError("run the tests through `make pytest` (or units/integration): they need the collection "
                       "staged under .../ansible_collections/blueking/cmdb, found %s" % COLLECTION_DIR)

for path in (COLLECTIONS_ROOT, SIMULATOR_DIR):
    if path not in sys.path:
        sys.path.insert(0, path)

pytest_plugins = ["bk_cmdb_sim.pytest_plugin"]
