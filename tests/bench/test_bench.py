# -*- coding: utf-8 -*-
# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks (``make bench``): argument normalization, envelope parsing, and a whole
1203-id deletion over HTTP against the simulator, through the real client."""

from __future__ import annotations

import json

from ansible_collections.blueking.cmdb.plugins.module_utils.client import EsbClient, parse_reply
from ansible_collections.blueking.cmdb.plugins.module_utils.instances import delete_instances, normalize_inst_ids

from bk_cmdb_sim import Simulator

IDS = 1203


def test_normalize_10000_ids(benchmark):
    raw = [str(i) if i % 3 else i for i in range(1, 10001)] * 2
    assert len(benchmark(normalize_inst_ids, raw)) == 10000


def test_parse_a_200_row_search_reply(benchmark):
    body = json.dumps({"result": True, "code": 0, "message": "success", "request_id": "r", "data": {
        "count": 200, "info": [{"bk_inst_id": i, "bk_inst_name": "fw-%d" % i} for i in range(200)]}})
    reply = benchmark(parse_reply, "search_inst", 200, {}, body, "/api/c/compapi/v2/cc/search_inst/")
    assert reply.data["count"] == 200


def test_delete_1203_instances_over_http(benchmark):
    sim = Simulator()
    sim.start()
    try:
        rounds = iter(range(1000))

        def seed():
            n = next(rounds)
            ids = sim.add_instances("bk_firewall", [{"bk_inst_name": "fw-bench-%d-%d" % (n, i), "bk_asset_id": "bench-%d-%d" % (n, i)}
                                                    for i in range(IDS)])
            return (ids,), {}

        def one_run(ids):
            client = EsbClient(sim.url, "ansible-test", "sim-secret-ansible-test", username="ops-bot")
            return delete_instances(client, "bk_firewall", ids, 500, check_mode=False)

        outcome = benchmark.pedantic(one_run, setup=seed, rounds=3, iterations=1)
        assert len(outcome.deleted_ids) == IDS and outcome.error is None
    finally:
        sim.stop()
