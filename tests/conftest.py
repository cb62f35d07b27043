"""Shared pytest setup: make the CMDB simulator package importable and load its fixtures."""

import os
import sys

SIMULATOR_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "simulator")
if SIMULATOR_DIR not in sys.path:
    sys.path.insert(0, SIMULATOR_DIR)

pytest_plugins = ["bk_cmdb_sim.pytest_plugin"]
