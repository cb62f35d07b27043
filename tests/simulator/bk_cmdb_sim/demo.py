# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deterministic demo data: a few hundred network devices of the four preset models.

`python -m bk_cmdb_sim --seed demo` serves it. `python -m bk_cmdb_sim.demo --retired bk_firewall`
prints the ids the demo playbook should decommission (bk_biz_status "3"), as a JSON list.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import sys
from datetime import datetime, timedelta

from .catalog import default_state
from .state import CST

SEED = 20260101
SITES = ("sz", "sh", "bj", "gz")
HALLS = ("h1", "h2", "h3")
# (model, name prefix, how many, roles, [(vendor, device model, OS)])
DEVICES = (
    ("bk_switch", "sw", 150, ("core", "agg", "acc", "oob"), (
        ("Huawei", "CE6881-48S6CQ", "VRP V200R019C10"),
        ("H3C", "S6850-56HF", "Comware 7.1.070"),
        ("Cisco", "Nexus 93180YC-FX", "NX-OS 9.3(8)"),
    )),
    ("bk_router", "rt", 50, ("border", "wan", "core"), (
        ("Huawei", "NE40E-X8A", "VRP V800R012C10"),
        ("Cisco", "ASR 1002-HX", "IOS XE 17.3.4"),
        ("Juniper", "MX204", "Junos 21.4R3"),
    )),
    ("bk_load_balance", "lb", 40, ("ext", "int"), (
        ("F5", "BIG-IP i5800", "TMOS 15.1.8"),
        ("F5", "BIG-IP i7800", "TMOS 16.1.3"),
        ("Huawei", "AX2000", "VRP V600R006"),
    )),
    ("bk_firewall", "fw", 60, ("edge", "dmz", "int"), (
        ("Huawei", "USG6650E", "VRP V600R007C20"),
        ("Juniper", "SRX4600", "Junos 21.2R3"),
        ("Cisco", "Firepower 2140", "FTD 7.0.4"),
        ("H3C", "SecPath F5030", "Comware 7.1.064"),
    )),
)
PURPOSES = {
    "core": "核心交换", "agg": "汇聚交换", "acc": "接入交换", "oob": "带外管理",
    "border": "边界路由", "wan": "广域网互联", "ext": "外网负载均衡", "int": "内网隔离",
    "edge": "互联网边界防护", "dmz": "DMZ 防护",
}
OPERATORS = ("wangwei", "lijing", "zhangmin", "liuyang", "chenjie")
MANAGEMENT_NETWORKS = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
HOSTS = 12
CONNECTIONS = 8


def _management_ips(rng):
    addresses = [str(ip) for net in MANAGEMENT_NETWORKS for ip in ipaddress.ip_network(net).hosts()]
    rng.shuffle(addresses)
    return iter(addresses)


def _status(rng):
    roll = rng.random()
    if roll < 0.12:
        return "3"
    return "1" if roll < 0.18 else "2"


def demo_state() -> dict:
    """The demo state in the state JSON format; the same every time it is called."""
    rng = random.Random(SEED)
    ips = _management_ips(rng)
    created = datetime(2023, 3, 1, 10, 0, tzinfo=CST)
    state = default_state()
    tables = state["instances"]["0"]
    next_id = 1
    for obj_id, prefix, count, roles, vendors in DEVICES:
        records, serials = [], {}
        for _device in range(count):
            site, hall, role = rng.choice(SITES), rng.choice(HALLS), rng.choice(roles)
            serials[(site, hall, role)] = serials.get((site, hall, role), 0) + 1
            vendor, device_model, os_detail = rng.choice(vendors)
            stamp = (created + timedelta(minutes=7 * next_id)).isoformat(timespec="milliseconds")
            records.append({
                "bk_inst_id": next_id,
                "bk_obj_id": obj_id,
                "bk_inst_name": "%s-%s-%s-%s-%02d" % (prefix, site, hall, role, serials[(site, hall, role)]),
                "bk_asset_id": "ZC%s%05d" % (created.year, next_id),
                "bk_sn": "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _char in range(12)),
                "bk_func": PURPOSES[role],
                "bk_vendor": vendor,
                "bk_model": device_model,
                "bk_admin_ip": next(ips),
                "bk_operator": rng.choice(OPERATORS),
                "bk_os_detail": os_detail,
                "bk_detail": "",
                "bk_biz_status": _status(rng),
                "bk_supplier_account": "0",
                "create_time": stamp,
                "last_time": stamp,
            })
            next_id += 1
        tables[obj_id] = records
    tables["host"] = [
        {"bk_host_id": n, "bk_host_name": "app-%02d" % n, "bk_host_innerip": "10.20.%d.%d" % (n // 250, n % 250 + 1),
         "bk_cloud_id": 0, "bk_supplier_account": "0"}
        for n in range(1, HOSTS + 1)
    ]
    # Only in-service switches get connections, so every retired device stays deletable.
    in_service = [r["bk_inst_id"] for r in tables["bk_switch"] if r["bk_biz_status"] == "2"]
    state["associations"] = [
        {"id": n + 1, "bk_obj_asst_id": "bk_switch_connect_host", "bk_obj_id": "bk_switch", "bk_inst_id": switch_id,
         "bk_asst_obj_id": "host", "bk_asst_inst_id": n % HOSTS + 1, "bk_asst_id": "connect", "bk_supplier_account": "0"}
        for n, switch_id in enumerate(rng.sample(in_service, CONNECTIONS))
    ]
    return state


def retired_ids(state: dict | None = None) -> dict[str, list[int]]:
    """Ids with bk_biz_status "3" (retired) per preset model, sorted."""
    state = demo_state() if state is None else state
    tables = state["instances"].get("0", {})
    return {
        obj_id: sorted(r["bk_inst_id"] for r in tables.get(obj_id, []) if r.get("bk_biz_status") == "3")
        for obj_id, *_details in DEVICES
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bk_cmdb_sim.demo", description=__doc__)
    parser.add_argument("--retired", metavar="BK_OBJ_ID", help="print the retired ids of one model as a JSON list")
    parser.add_argument("--write", metavar="FILE", help="write the demo state JSON to FILE")
    args = parser.parse_args(argv)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as handle:
            json.dump(demo_state(), handle, ensure_ascii=False, indent=1)
    if args.retired:
        retired = retired_ids()
        if args.retired not in retired:
            parser.error("--retired takes one of %s" % ", ".join(retired))
        sys.stdout.write(json.dumps(retired[args.retired]) + "\n")
    elif not args.write:
        sys.stdout.write(json.dumps(retired_ids()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
