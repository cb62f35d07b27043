# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""create_inst, batch_create_inst, update_inst, batch_update_inst (contract §3.6-3.8)."""

from __future__ import annotations

import re

import pytest

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00")


def create(esb, obj="bk_firewall", **attrs):
    return esb("create_inst", bk_obj_id=obj, **attrs)


def test_create_returns_the_stored_record(cmdb_sim, esb):
    reply = create(esb, bk_inst_name="  fw-new-01 ", bk_asset_id="ZC1", bk_admin_ip="192.0.2.10", bk_biz_status="2",
                   bk_color="red", bk_inst_id=5, create_time="yesterday")
    assert reply["result"] is True
    record = reply["data"]
    assert record["bk_inst_name"] == "fw-new-01"
    assert (record["bk_obj_id"], record["bk_supplier_account"]) == ("bk_firewall", "0")
    assert "bk_color" not in record
    assert record["bk_inst_id"] != 5
    assert TIME.fullmatch(record["create_time"]) and record["create_time"] == record["last_time"]
    # Attributes left out are still there, empty.
    assert (record["bk_sn"], record["bk_detail"]) == ("", "")
    assert cmdb_sim.instance("bk_firewall", record["bk_inst_id"]) == record


def test_one_id_sequence_for_all_ordinary_models(esb):
    models = (("bk_switch", "a"), ("bk_router", "a"), ("bk_switch", "b"))
    ids = [create(esb, obj, bk_inst_name=name, bk_asset_id=name)["data"]["bk_inst_id"] for obj, name in models]
    assert ids == [1, 2, 3]


@pytest.mark.parametrize("attrs, field", [
    ({"bk_asset_id": "ZC1"}, "bk_inst_name"),
    ({"bk_inst_name": "fw", "bk_asset_id": "  "}, "bk_asset_id"),
    ({"bk_inst_name": None, "bk_asset_id": "ZC1"}, "bk_inst_name"),
])
def test_create_required_attributes(esb, attrs, field):
    reply = create(esb, **attrs)
    assert (reply["code"], reply["message"]) == (1199010, "'%s' unassigned" % field)


@pytest.mark.parametrize("attrs, field", [
    ({"bk_admin_ip": "300.1.1.1"}, "bk_admin_ip"),
    ({"bk_biz_status": "9"}, "bk_biz_status"),
    ({"bk_biz_status": 2}, "bk_biz_status"),
    ({"bk_sn": 12345}, "bk_sn"),
    ({"bk_func": "x" * 257}, "bk_func"),
])
def test_create_bad_values(cmdb_sim, esb, attrs, field):
    reply = create(esb, bk_inst_name="fw", bk_asset_id="ZC1", **attrs)
    assert (reply["code"], reply["message"]) == (1199011, "'%s' the parameter is invalid or does not exist" % field)
    assert cmdb_sim.instance_ids("bk_firewall") == []


@pytest.mark.parametrize("attrs, field", [
    ({"bk_inst_name": "fw-1", "bk_asset_id": "other"}, "bk_inst_name"),
    ({"bk_inst_name": "other", "bk_asset_id": "ZC1"}, "bk_asset_id"),
])
def test_create_duplicates(esb, attrs, field):
    assert create(esb, bk_inst_name="fw-1", bk_asset_id="ZC1")["result"] is True
    reply = create(esb, **attrs)
    assert (reply["code"], reply["message"]) == (1199014, "duplicated instances exist, fields [%s] duplicated" % field)


def test_names_are_unique_per_model_only(esb):
    assert create(esb, "bk_switch", bk_inst_name="dev-1", bk_asset_id="ZC1")["result"] is True
    assert create(esb, "bk_router", bk_inst_name="dev-1", bk_asset_id="ZC1")["result"] is True


def test_create_checks_model_permission_and_inner(esb):
    assert create(esb, "bk_teapot", bk_inst_name="x")["code"] == 1199045
    assert create(esb, "set", bk_set_name="x")["code"] == 1199084
    reply = esb.as_user("auditor", "create_inst", bk_obj_id="bk_firewall", bk_inst_name="x", bk_asset_id="y")
    assert reply["code"] == 9900403
    [action] = reply["permission"]["actions"]
    assert action["id"] == "create_comobj_10"
    assert "instances" not in action["related_resource_types"][0]


def test_create_on_a_custom_mainline_level(cmdb_sim, esb):
    state = cmdb_sim.dump()
    state["models"].append({"bk_obj_id": "bk_idc", "bk_obj_name": "机房", "kind": "mainline"})
    state["mainline"] = ["biz", "bk_idc", "set", "module", "host"]
    cmdb_sim.load(state)
    assert create(esb, "bk_idc", bk_inst_name="idc-a", bk_biz_id=1)["code"] == 1199010
    assert create(esb, "bk_idc", bk_inst_name="idc-a", bk_biz_id=1, bk_parent_id=999)["code"] == 1199011
    record = create(esb, "bk_idc", bk_inst_name="idc-a", bk_biz_id=1, bk_parent_id=1)["data"]
    assert (record["bk_parent_id"], record["bk_biz_id"]) == (1, 1)
    assert create(esb, "bk_idc", bk_inst_name="idc-a", bk_biz_id=1, bk_parent_id=1)["code"] == 1199014
    assert esb("batch_create_inst", bk_obj_id="bk_idc", details=[{"bk_inst_name": "idc-b"}])["code"] == 1199075


def test_mainline_names_are_unique_per_parent_only(cmdb_sim, esb):
    state = cmdb_sim.dump()
    state["models"].append({"bk_obj_id": "bk_idc", "bk_obj_name": "机房", "kind": "mainline"})
    state["mainline"] = ["biz", "bk_idc", "set", "module", "host"]
    cmdb_sim.load(state)
    [game] = cmdb_sim.add_instances("biz", [{"bk_biz_name": "game"}])
    assert create(esb, "bk_idc", bk_inst_name="idc-a", bk_biz_id=1, bk_parent_id=1)["result"] is True
    assert create(esb, "bk_idc", bk_inst_name="idc-a", bk_biz_id=game, bk_parent_id=game)["result"] is True
    assert create(esb, "bk_idc", bk_inst_name="idc-a", bk_biz_id=game, bk_parent_id=game)["code"] == 1199014
    assert len(cmdb_sim.instance_ids("bk_idc")) == 2


def test_batch_create(cmdb_sim, esb):
    details = [
        {"bk_inst_name": "fw-a", "bk_asset_id": "A"},
        {"bk_inst_name": "fw-a", "bk_asset_id": "B"},
        {"bk_asset_id": "C"},
        {"bk_inst_name": "fw-d", "bk_asset_id": "D"},
    ]
    data = esb("batch_create_inst", bk_obj_id="bk_firewall", details=details)["data"]
    assert sorted(data["success_created"]) == ["0", "3"]
    assert sorted(data["error_msg"]) == ["1", "2"]
    assert "duplicated" in data["error_msg"]["1"]
    assert cmdb_sim.instance_ids("bk_firewall") == sorted(data["success_created"].values())
    assert esb("batch_create_inst", bk_obj_id="bk_firewall", details=[])["code"] == 1199038
    too_many = [{"bk_inst_name": "n%d" % n, "bk_asset_id": "a%d" % n} for n in range(201)]
    reply = esb("batch_create_inst", bk_obj_id="bk_firewall", details=too_many)
    assert (reply["code"], reply["message"]) == (1199035, "details exceed the limit 200")


def test_update_inst(cmdb_sim, esb, firewalls):
    before = cmdb_sim.instance("bk_firewall", firewalls[0])
    reply = esb("update_inst", bk_obj_id="bk_firewall", bk_inst_id=firewalls[0], bk_biz_status="3", bk_color="red", bk_parent_id=7)
    assert (reply["result"], reply["data"]) == (True, None)
    after = cmdb_sim.instance("bk_firewall", firewalls[0])
    assert after["bk_biz_status"] == "3"
    assert "bk_color" not in after and "bk_parent_id" not in after
    assert after["create_time"] == before["create_time"]
    assert TIME.fullmatch(after["last_time"])


def test_update_inst_failures(cmdb_sim, esb, firewalls):
    def update(inst_id, **attrs):
        return esb("update_inst", bk_obj_id="bk_firewall", bk_inst_id=inst_id, **attrs)

    assert update(9001, bk_biz_status="3")["code"] == 1199019
    assert update(firewalls[0], bk_biz_status="7")["code"] == 1199011
    assert update(firewalls[0], bk_inst_name="")["code"] == 1199010
    assert update(firewalls[0], bk_inst_name="fw-test-02")["code"] == 1199014
    assert update("abc", bk_biz_status="3")["code"] == 1199009
    reply = esb.as_user("auditor", "update_inst", bk_obj_id="bk_firewall", bk_inst_id=firewalls[0], bk_biz_status="3")
    assert reply["code"] == 9900403
    assert reply["permission"]["actions"][0]["id"] == "edit_comobj_10"
    assert cmdb_sim.instance("bk_firewall", firewalls[0])["bk_biz_status"] == "2"


@pytest.mark.parametrize("obj, code", [("host", 1199084), ("bk_teapot", 1199045)])
def test_updates_refuse_inner_and_unknown_models(cmdb_sim, esb, obj, code):
    [host] = cmdb_sim.add_instances("host", [{"bk_host_name": "web-01"}])
    assert esb("update_inst", bk_obj_id=obj, bk_inst_id=host, bk_host_name="web-02")["code"] == code
    update = [{"inst_id": host, "datas": {"bk_host_name": "web-02"}}]
    assert esb("batch_update_inst", bk_obj_id=obj, update=update)["code"] == code
    assert cmdb_sim.instance("host", host)["bk_host_name"] == "web-01"


def test_batch_update_is_one_transaction(cmdb_sim, esb, firewalls):
    update = [{"inst_id": firewalls[0], "datas": {"bk_biz_status": "3"}}, {"inst_id": 9001, "datas": {"bk_biz_status": "3"}}]
    assert esb("batch_update_inst", bk_obj_id="bk_firewall", update=update)["code"] == 1199019
    assert cmdb_sim.instance("bk_firewall", firewalls[0])["bk_biz_status"] == "2"
    update = [{"inst_id": i, "datas": {"bk_biz_status": "3", "bk_func": "retired"}} for i in firewalls[:2]]
    assert esb("batch_update_inst", bk_obj_id="bk_firewall", update=update)["result"] is True
    assert [cmdb_sim.instance("bk_firewall", i)["bk_biz_status"] for i in firewalls] == ["3", "3", "2", "2", "2"]


@pytest.mark.parametrize("update, code", [
    ([{"inst_id": 0, "datas": {"bk_func": "x"}}], 1199006),
    ([{"datas": {"bk_func": "x"}}], 1199006),
    ([{"inst_id": "1", "datas": {"bk_func": "x"}}], 1199000),
    ("all", 1199000),
])
def test_batch_update_bad_items(esb, firewalls, update, code):
    assert esb("batch_update_inst", bk_obj_id="bk_firewall", update=update)["code"] == code


def test_batch_update_swapping_names_within_the_batch(cmdb_sim, esb, firewalls):
    update = [{"inst_id": firewalls[0], "datas": {"bk_inst_name": "fw-test-02"}}]
    assert esb("batch_update_inst", bk_obj_id="bk_firewall", update=update)["code"] == 1199014
    update = [{"inst_id": firewalls[1], "datas": {"bk_inst_name": "fw-renamed"}}, {"inst_id": firewalls[0], "datas": {"bk_inst_name": "fw-test-02"}}]
    assert esb("batch_update_inst", bk_obj_id="bk_firewall", update=update)["result"] is True
    assert cmdb_sim.instance("bk_firewall", firewalls[0])["bk_inst_name"] == "fw-test-02"
