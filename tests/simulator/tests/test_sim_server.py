# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Transport and harness: keep-alive, TLS, request log, control API, state round trip, CLI, demo data."""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from bk_cmdb_sim import Simulator
from bk_cmdb_sim.demo import demo_state, retired_ids

SIMULATOR_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEARCH = "/api/c/compapi/v2/cc/search_inst_by_object/"


def test_keep_alive_reuses_one_connection(cmdb_sim, esb):
    connection = http.client.HTTPConnection("127.0.0.1", int(cmdb_sim.url.rsplit(":", 1)[1]), timeout=5)
    body = json.dumps(dict(esb.auth, bk_obj_id="bk_firewall"))
    connection.request("POST", SEARCH, body, {"Content-Type": "application/json"})
    sock = connection.sock
    for _call in range(20):
        reply = connection.getresponse()
        assert reply.status == 200
        assert json.loads(reply.read())["result"] is True
        assert reply.getheader("Content-Length")
        connection.request("POST", SEARCH, body, {"Content-Type": "application/json"})
    assert connection.sock is sock
    connection.getresponse().read()
    connection.close()


def test_chunked_request_body(cmdb_sim, esb):
    body = json.dumps(dict(esb.auth, bk_obj_id="bk_firewall")).encode()
    reply = requests.post(cmdb_sim.url + SEARCH, data=iter([body[:10], body[10:]]), timeout=5)
    assert reply.json()["result"] is True
    assert cmdb_sim.requests()[-1]["body"]["bk_obj_id"] == "bk_firewall"


def test_requests_are_fast(cmdb_sim, esb):
    # A generous bound: the point is to catch a Nagle-style 40 ms stall per request.
    started = time.perf_counter()
    for _call in range(50):
        esb("search_inst_by_object", bk_obj_id="bk_firewall")
    assert (time.perf_counter() - started) / 50 < 0.05


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_tls(cmdb_sim_tls):
    assert cmdb_sim_tls.url.startswith("https://127.0.0.1:")
    with open(cmdb_sim_tls.ca_file, encoding="utf-8") as handle:
        assert handle.read().startswith("-----BEGIN CERTIFICATE-----")
    body = {"bk_app_code": "ansible-test", "bk_app_secret": "sim-secret-ansible-test", "bk_username": "ops-bot", "bk_obj_id": "bk_firewall"}
    assert requests.post(cmdb_sim_tls.url + SEARCH, json=body, verify=cmdb_sim_tls.ca_file, timeout=5).json()["result"] is True
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(cmdb_sim_tls.url + SEARCH, json=body, timeout=5)
    # A client that rejected the certificate leaves the server healthy.
    assert requests.post(cmdb_sim_tls.url + SEARCH, json=body, verify=False, timeout=5).status_code == 200
    localhost = cmdb_sim_tls.url.replace("127.0.0.1", "localhost")
    assert requests.post(localhost + SEARCH, json=body, verify=cmdb_sim_tls.ca_file, timeout=5).status_code == 200
    assert len(cmdb_sim_tls.requests("search_inst_by_object")) == 3


def test_temporary_ca_file_is_removed_on_stop():
    simulator = Simulator(tls=True).start()
    ca_file = simulator.ca_file
    assert os.path.isfile(ca_file)
    simulator.stop()
    assert not os.path.exists(ca_file)


def test_request_log_entries(cmdb_sim, esb):
    esb("search_inst_by_object", bk_obj_id="bk_firewall")
    requests.get(cmdb_sim.url + "/__sim__/state", timeout=5)
    esb.session.post(cmdb_sim.url + "/favicon.ico", data="x")
    first, second = cmdb_sim.requests()
    assert set(first) == {"seq", "method", "path", "api", "headers", "body", "raw_body", "status"}
    assert (first["method"], first["path"], first["api"], first["status"]) == ("POST", SEARCH, "search_inst_by_object", 200)
    assert first["body"]["bk_app_secret"] == "sim-secret-ansible-test"
    assert json.loads(first["raw_body"]) == first["body"]
    assert first["headers"]["Content-Type"] == "application/json"
    assert (second["api"], second["body"], second["raw_body"], second["status"]) == (None, None, "x", 404)
    assert second["seq"] > first["seq"]
    assert cmdb_sim.requests("search_inst_by_object") == [first]
    cmdb_sim.clear_requests()
    assert cmdb_sim.requests() == []


def test_control_api(cmdb_sim, esb):
    base = cmdb_sim.url + "/__sim__"
    reply = requests.post(base + "/instances", json={"bk_obj_id": "bk_router", "records": [{"bk_inst_name": "rt-1", "bk_asset_id": "R1"}]}, timeout=5)
    [router_id] = reply.json()["ids"]
    assert requests.get(base + "/instances", params={"bk_obj_id": "bk_router"}, timeout=5).json() == {"ids": [router_id]}
    esb("search_inst_by_object", bk_obj_id="bk_router")
    esb("search_inst", bk_obj_id="bk_router")
    assert [e["api"] for e in requests.get(base + "/requests", timeout=5).json()] == ["search_inst_by_object", "search_inst"]
    assert len(requests.get(base + "/requests", params={"api": "search_inst"}, timeout=5).json()) == 1
    assert requests.delete(base + "/requests", timeout=5).json() == {"ok": True}
    assert cmdb_sim.requests() == []
    state = requests.get(base + "/state", timeout=5).json()
    assert [r["bk_inst_name"] for r in state["instances"]["0"]["bk_router"]] == ["rt-1"]
    state["instances"]["0"]["bk_router"] = []
    assert requests.put(base + "/state", json=state, timeout=5).json() == {"ok": True}
    assert cmdb_sim.instance_ids("bk_router") == []
    assert requests.put(base + "/state", json={"bogus": 1}, timeout=5).status_code == 400
    assert requests.post(base + "/instances", json={"bk_obj_id": "bk_teapot", "records": []}, timeout=5).status_code == 400
    assert requests.post(base + "/instances", json={}, timeout=5).status_code == 400
    assert requests.get(base + "/nothing", timeout=5).status_code == 404
    assert cmdb_sim.requests() == []


def test_association_over_the_control_api(cmdb_sim):
    [switch_id] = cmdb_sim.add_instances("bk_switch", [{"bk_inst_name": "sw", "bk_asset_id": "S"}])
    [host_id] = cmdb_sim.add_instances("host", [{"bk_host_name": "h"}])
    body = {"bk_obj_id": "bk_switch", "bk_inst_id": switch_id, "bk_asst_obj_id": "host", "bk_asst_inst_id": host_id}
    reply = requests.post(cmdb_sim.url + "/__sim__/associations", json=body, timeout=5).json()
    assert reply["bk_obj_asst_id"] == "bk_switch_connect_host"
    body["bk_asst_inst_id"] = 999
    assert requests.post(cmdb_sim.url + "/__sim__/associations", json=body, timeout=5).status_code == 400


def test_dump_load_round_trip(cmdb_sim, firewalls):
    cmdb_sim.add_association("bk_firewall", firewalls[0], "bk_firewall", firewalls[1], "bk_connect")
    state = cmdb_sim.dump()
    json.dumps(state)
    other = Simulator(state=state)
    assert other.dump() == state
    assert other.instance_ids("bk_firewall") == firewalls
    # Ids continue after the loaded ones.
    assert other.add_instances("bk_router", [{}]) == [firewalls[-1] + 1]


def test_default_state(cmdb_sim):
    state = cmdb_sim.dump()
    assert {m["bk_obj_id"]: m["id"] for m in state["models"] if m["kind"] == "ordinary"} == {
        "bk_switch": 7, "bk_router": 8, "bk_load_balance": 9, "bk_firewall": 10}
    assert {m["bk_obj_id"] for m in state["models"] if m["kind"] == "inner"} == {
        "biz", "set", "module", "host", "process", "plat", "bk_biz_set_obj", "bk_project"}
    assert state["object_associations"][0]["bk_obj_asst_id"] == "bk_switch_connect_host"
    assert state["instances"] == {"0": {"biz": [{"bk_biz_id": 1, "bk_biz_name": "资源池", "default": 1}]}}
    assert sorted(state["apps"]) == ["ansible-test", "no-delete-app", "token-only-app"]


@pytest.mark.parametrize("bad", [
    {"models": [{"bk_obj_id": "x", "kind": "weird"}]},
    {"mainline": ["biz", "bk_firewall", "set", "module", "host"]},
    {"mainline": ["set", "module", "host"]},
    {"unknown_key": 1},
    [],
])
def test_bad_state_is_refused_and_the_old_one_kept(cmdb_sim, firewalls, bad):
    with pytest.raises(ValueError):
        cmdb_sim.load(bad)
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls


def test_add_instances_refuses_unknown_models(cmdb_sim):
    with pytest.raises(ValueError):
        cmdb_sim.add_instances("bk_teapot", [{}])


def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=SIMULATOR_DIR)
    return subprocess.Popen([sys.executable, "-m", "bk_cmdb_sim", *args], stdout=subprocess.PIPE, text=True, env=env)


def stop_cli(process, signum=signal.SIGTERM):
    process.send_signal(signum)
    assert process.wait(10) == 0
    process.stdout.close()


def test_cli_serves_demo_data_until_sigterm():
    process = run_cli("--port", "0", "--seed", "demo")
    try:
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        ids = requests.get(url + "/__sim__/instances", params={"bk_obj_id": "bk_firewall"}, timeout=5).json()["ids"]
        assert set(retired_ids()["bk_firewall"]) <= set(ids)
    finally:
        stop_cli(process)


def test_cli_tls_with_seed_file(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"instances": {"0": {"bk_router": [{"bk_inst_id": 40, "bk_inst_name": "rt"}]}}}), encoding="utf-8")
    ca_file = tmp_path / "ca.pem"
    process = run_cli("--tls", "--ca-file", str(ca_file), "--seed", str(seed))
    try:
        url = process.stdout.readline().strip()
        assert process.stdout.readline().strip() == "ca_file: %s" % ca_file
        reply = requests.get(url + "/__sim__/instances", params={"bk_obj_id": "bk_router"}, verify=str(ca_file), timeout=5)
        assert reply.json() == {"ids": [40]}
    finally:
        stop_cli(process, signal.SIGINT)


def test_demo_data():
    state = demo_state()
    assert state == demo_state()
    tables = state["instances"]["0"]
    devices = [r for obj in ("bk_switch", "bk_router", "bk_load_balance", "bk_firewall") for r in tables[obj]]
    assert 200 <= len(devices) <= 500
    prefixes = {"bk_switch": "sw", "bk_router": "rt", "bk_load_balance": "lb", "bk_firewall": "fw"}
    networks = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
    for record in devices:
        assert re.fullmatch(prefixes[record["bk_obj_id"]] + r"-[a-z]+-h\d-[a-z]+-\d\d", record["bk_inst_name"])
        assert any(ipaddress.ip_address(record["bk_admin_ip"]) in n for n in networks)
        assert record["bk_vendor"] in ("Huawei", "H3C", "Cisco", "Juniper", "F5")
    for key in ("bk_inst_name", "bk_asset_id", "bk_admin_ip", "bk_inst_id"):
        assert len({r[key] for r in devices}) == len(devices)
    statuses = [r["bk_biz_status"] for r in devices]
    assert statuses.count("2") > len(devices) / 2
    retired = retired_ids(state)
    assert all(retired[obj] for obj in prefixes)
    associated = {(a["bk_obj_id"], a["bk_inst_id"]) for a in state["associations"]}
    assert associated
    assert not any(("bk_firewall", i) in associated for i in retired["bk_firewall"])
    assert all(tables["bk_switch"][0]["bk_inst_id"] <= i and a == "bk_switch" for a, i in associated)
    by_id = {r["bk_inst_id"]: r for r in devices}
    assert all(by_id[i]["bk_biz_status"] == "2" for _obj, i in associated)


def test_demo_state_loads_and_retired_firewalls_delete(esb):
    simulator = esb.simulator
    simulator.load(demo_state())
    retired = retired_ids()["bk_firewall"]
    reply = esb("batch_delete_inst", bk_obj_id="bk_firewall", delete={"inst_ids": retired})
    assert reply["result"] is True
    assert set(simulator.instance_ids("bk_firewall")).isdisjoint(retired)
