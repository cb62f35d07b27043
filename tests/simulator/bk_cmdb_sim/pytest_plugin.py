# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytest fixtures: a fresh simulator per test, over HTTP or HTTPS."""

from __future__ import annotations

import pytest

from .server import Simulator


@pytest.fixture
def cmdb_sim():
    """A started Simulator with the default state; stopped after the test."""
    simulator = Simulator().start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def cmdb_sim_tls(tmp_path):
    """The same over HTTPS; `cmdb_sim_tls.ca_file` is the CA that signed the server certificate."""
    simulator = Simulator(tls=True, ca_file=str(tmp_path / "bk-cmdb-sim-ca.pem")).start()
    try:
        yield simulator
    finally:
        simulator.stop()
