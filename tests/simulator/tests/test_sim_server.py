# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Transport and harness: keep-alive, TLS, request log, control API, state round trip, CLI, demo data."""

from __future__ import annotations

import http.client
import ipaddress
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
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


def p95(timings):
    return sorted(timings)[math.ceil(len(timings) * 0.95) - 1]


def test_requests_are_fast(cmdb_sim, esb, firewall_record):
    # The 95th percentile, not the mean, so a stall on some of the requests shows. A healthy p95
    # is ~2 ms; Nagle + delayed ACK makes every request ~44 ms, under a 50 ms bound, so 25 ms.
    ids = cmdb_sim.add_instances("bk_firewall", [firewall_record(n) for n in range(50)])
    calls = [("search_inst_by_object", {"bk_obj_id": "bk_firewall"})] * 50
    calls += [("batch_delete_inst", {"bk_obj_id": "bk_firewall", "delete": {"inst_ids": [i]}}) for i in ids]
    timings = {"search_inst_by_object": [], "batch_delete_inst": []}
    for api, body in calls:
        started = time.perf_counter()
        assert esb(api, **body)["result"] is True
        timings[api].append(time.perf_counter() - started)
    assert {api: p95(t) < 0.025 for api, t in timings.items()} == {api: True for api in timings}, timings
    assert cmdb_sim.instance_ids("bk_firewall") == []


def test_a_burst_of_connections_is_served(cmdb_sim, esb):
    # 64 clients connect at the same moment, each on its own connection, as parallel workers do.
    # With socketserver's default listen backlog of 5 most of them were reset.
    port = int(cmdb_sim.url.rsplit(":", 1)[1])
    body = json.dumps(dict(esb.auth, bk_obj_id="bk_firewall", condition={}))
    clients = 64
    barrier = threading.Barrier(clients)
    outcomes = []

    def call():
        barrier.wait()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("POST", "/api/c/compapi/v2/cc/search_inst/", body, {"Content-Type": "application/json"})
            outcomes.append(json.loads(connection.getresponse().read())["result"])
        except OSError as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _client in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert outcomes == [True] * clients
    assert len(cmdb_sim.requests("search_inst")) == clients


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


def test_host_module_over_the_control_api(cmdb_sim, esb):
    # Everything over HTTP, as against a simulator started from the CLI.
    base = cmdb_sim.url + "/__sim__"
    state = requests.get(base + "/state", timeout=5).json()
    state["models"].append({"bk_obj_id": "bk_idc", "kind": "mainline"})
    state["mainline"] = ["biz", "bk_idc", "set", "module", "host"]
    assert requests.put(base + "/state", json=state, timeout=5).json() == {"ok": True}

    def add(obj, record):
        return requests.post(base + "/instances", json={"bk_obj_id": obj, "records": [record]}, timeout=5).json()["ids"][0]

    idc = add("bk_idc", {"bk_inst_name": "idc-a", "bk_biz_id": 1, "bk_parent_id": 1})
    set_id = add("set", {"bk_set_name": "web", "bk_biz_id": 1, "bk_parent_id": idc})
    module = add("module", {"bk_module_name": "nginx", "bk_biz_id": 1, "bk_set_id": set_id})
    host = add("host", {"bk_host_name": "web-01"})
    reply = requests.post(base + "/host_modules", json={"bk_host_id": host, "bk_module_id": module}, timeout=5)
    assert (reply.status_code, reply.json()) == (200, {"ok": True})
    assert cmdb_sim.dump()["host_modules"] == [{"bk_host_id": host, "bk_module_id": module, "bk_supplier_account": "0"}]
    assert esb("batch_delete_inst", bk_obj_id="bk_idc", delete={"inst_ids": [idc]})["code"] == 1101030
    for bad in ({"bk_host_id": host, "bk_module_id": 999}, {"bk_host_id": 999, "bk_module_id": module}, {"bk_host_id": host}):
        assert requests.post(base + "/host_modules", json=bad, timeout=5).status_code == 400
    assert len(cmdb_sim.dump()["host_modules"]) == 1


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


def router(inst_id, **extra):
    return dict({"bk_inst_id": inst_id, "bk_inst_name": "rt-%d" % inst_id}, **extra)


@pytest.mark.parametrize("bad", [
    {"models": [{"bk_obj_id": "x", "kind": "weird"}]},
    {"mainline": ["biz", "bk_firewall", "set", "module", "host"]},
    {"mainline": ["set", "module", "host"]},
    {"unknown_key": 1},
    [],
    # Malformed shapes: ValueError, never a KeyError or TypeError from inside (README).
    {"models": "bk_firewall"},
    {"models": [{"kind": "ordinary"}]},
    {"models": [{"bk_obj_id": 7}]},
    {"models": [{"bk_obj_id": "x", "attributes": [{"bk_property_type": "int"}]}]},
    {"models": [{"bk_obj_id": "x", "attributes": "bk_inst_name"}]},
    {"models": [{"bk_obj_id": "bk_idc", "kind": "mainline"}]},
    {"mainline": "biz,set,module,host"},
    {"instances": []},
    {"instances": {"0": []}},
    {"instances": {"0": {"bk_router": {"bk_inst_id": 1}}}},
    {"instances": {"0": {"bk_router": ["rt-1"]}}},
    {"instances": {"0": {"bk_router": [{"bk_inst_name": "rt-1"}]}}},
    {"instances": {"0": {"bk_router": [router(1, bk_inst_id="1")]}}},
    {"associations": [{"bk_obj_id": "bk_router"}]},
    {"associations": [{"id": "1", "bk_obj_id": "a", "bk_inst_id": 1, "bk_asst_obj_id": "b", "bk_asst_inst_id": 2}]},
    {"host_modules": [{"bk_host_id": 1}]},
    {"object_associations": [{"bk_obj_id": "bk_switch"}]},
    {"next_ids": []},
    {"next_ids": {"bk_inst_id": None}},
    {"next_ids": {"bk_inst_id": "x"}},
    {"apps": []},
    {"apps": {"ansible-test": "secret"}},
    {"apps": {"a": {"secret": "s", "denied_components": "batch_delete_inst"}}},
    {"apps": {"a": {"secret": 1}}},
    {"apps": {"a": {"secret": "s", "skip_user_auth": "yes"}}},
    {"tokens": {"t": 1}},
    {"users": {"x": {"deny": "delete"}}},
    # One id sequence per id field, across models and supplier accounts.
    {"instances": {"0": {"bk_router": [router(3)], "bk_switch": [router(3)]}}},
    {"instances": {"0": {"bk_router": [router(3), router(3)]}}},
    {"instances": {"0": {"bk_router": [router(3)]}, "tenant-a": {"bk_router": [router(3)]}}},
])
def test_bad_state_is_refused_and_the_old_one_kept(cmdb_sim, firewalls, bad):
    with pytest.raises(ValueError):
        cmdb_sim.load(bad)
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls


def test_id_sequences_are_per_id_field(cmdb_sim):
    # A router and a host may share a number: hosts have their own sequence (bk_host_id).
    cmdb_sim.load({"instances": {"0": {"bk_router": [router(3)], "bk_switch": [router(4)], "host": [{"bk_host_id": 3}]}}})
    assert (cmdb_sim.instance_ids("bk_router"), cmdb_sim.instance_ids("host")) == ([3], [3])


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
