# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small ESB client for the simulator's own tests."""

from __future__ import annotations

import pytest
import requests

AUTH = {"bk_app_code": "ansible-test", "bk_app_secret": "sim-secret-ansible-test", "bk_username": "ops-bot"}
API = "/api/c/compapi/v2/cc/%s/"


class Esb:
    """Calls the simulator the way the collection does: POST JSON with credentials in the body."""

    def __init__(self, simulator, verify=True):
        self.auth = dict(AUTH)
        self.simulator = simulator
        self.session = requests.Session()
        self.session.verify = verify

    def post(self, api, body=None, **kwargs):
        return self.session.post(self.simulator.url + API % api, json=body, timeout=10, **kwargs)

    def __call__(self, api, auth=None, **body):
        """Call as `user` (default ops-bot through ansible-test) and return the parsed reply."""
        reply = self.post(api, dict(AUTH if auth is None else auth, **body))
        assert reply.status_code == 200, reply.text
        return reply.json()

    def as_user(self, username, api, **body):
        return self(api, auth=dict(AUTH, bk_username=username), **body)


@pytest.fixture
def esb(cmdb_sim):
    client = Esb(cmdb_sim)
    yield client
    client.session.close()


def _firewall(n, **extra):
    return dict({"bk_inst_name": "fw-test-%02d" % n, "bk_asset_id": "ZC-TEST-%04d" % n, "bk_biz_status": "2"}, **extra)


@pytest.fixture
def firewall_record():
    """firewall_record(n, **extra): a valid bk_firewall record whose name and asset id derive from n."""
    return _firewall


@pytest.fixture
def firewalls(cmdb_sim):
    """Five firewalls in the default supplier account; returns their ids."""
    return cmdb_sim.add_instances("bk_firewall", [_firewall(n) for n in range(1, 6)])
