# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""batch_delete_inst and delete_inst, rule by rule (contract §3.1, §3.2, §4)."""

from __future__ import annotations

import pytest


def delete(esb, ids, obj="bk_firewall", **extra):
    return esb("batch_delete_inst", bk_obj_id=obj, delete={"inst_ids": ids}, **extra)


def test_deletes_and_answers_null_data(cmdb_sim, esb, firewalls):
    reply = delete(esb, firewalls[:2])
    assert (reply["result"], reply["code"], reply["data"]) == (True, 0, None)
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls[2:]


@pytest.mark.parametrize("extra_ids", [[9001], [], [9001, 9002, 9001]])
def test_missing_and_duplicate_ids_are_ignored(cmdb_sim, esb, firewalls, extra_ids):
    reply = delete(esb, [firewalls[0], firewalls[0]] + extra_ids)
    assert reply["result"] is True
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls[1:]


def test_ids_of_another_model_are_ignored(cmdb_sim, esb, firewalls):
    router_ids = cmdb_sim.add_instances("bk_router", [{"bk_inst_name": "rt-1", "bk_asset_id": "R1"}])
    assert delete(esb, router_ids)["result"] is True
    assert cmdb_sim.instance_ids("bk_router") == router_ids
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls


@pytest.mark.parametrize("body", [{"delete": {"inst_ids": []}}, {"delete": {}}, {}, {"delete": None}])
def test_empty_or_missing_list_is_a_successful_no_op(cmdb_sim, esb, firewalls, body):
    reply = esb("batch_delete_inst", bk_obj_id="bk_firewall", **body)
    assert (reply["result"], reply["data"]) == (True, None)
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls


def test_no_count_limit(cmdb_sim, esb, firewall_record):
    ids = cmdb_sim.add_instances("bk_firewall", [firewall_record(n) for n in range(1203)])
    assert delete(esb, ids)["result"] is True
    assert cmdb_sim.instance_ids("bk_firewall") == []


def test_unknown_model(esb):
    reply = delete(esb, [1], obj="bk_teapot")
    assert (reply["code"], reply["message"]) == (1199045, "model [map[bk_obj_id:bk_teapot]] not found")


def test_unknown_model_wins_over_everything(esb):
    reply = esb.as_user("auditor", "batch_delete_inst", bk_obj_id="bk_teapot", delete={"inst_ids": ["x"]})
    assert reply["code"] == 1199045


def test_permission_denied_lists_every_id(cmdb_sim, esb, firewalls):
    ids = [firewalls[0], firewalls[0], 9001]
    reply = esb.as_user("auditor", "batch_delete_inst", bk_obj_id="bk_firewall", delete={"inst_ids": ids})
    assert (reply["result"], reply["code"], reply["message"], reply["data"]) == (False, 9900403, "Do not have access permission.", None)
    permission = reply["permission"]
    assert (permission["system_id"], permission["system_name"]) == ("bk_cmdb", "配置平台")
    [action] = permission["actions"]
    assert action["id"] == "delete_comobj_10"
    [resource] = action["related_resource_types"]
    assert (resource["type"], resource["type_name"]) == ("comobj_10", "防火墙")
    listed = [entry for path in resource["instances"] for entry in path]
    assert [e["id"] for e in listed] == [str(i) for i in ids]
    assert listed[0] == {"type": "comobj_10", "type_name": "防火墙", "id": str(firewalls[0]), "name": "fw-test-01"}
    assert listed[2]["name"] == ""
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls


def test_empty_list_needs_no_permission(esb):
    assert esb.as_user("auditor", "batch_delete_inst", bk_obj_id="bk_firewall", delete={"inst_ids": []})["result"] is True


def test_model_and_instance_scoped_denials(cmdb_sim, esb, firewalls):
    state = cmdb_sim.dump()
    state["users"]["x"] = {"deny": ["delete:bk_firewall:%d" % firewalls[1]]}
    state["users"]["y"] = {"deny": ["delete:bk_router"]}
    cmdb_sim.load(state)
    reply = esb.as_user("x", "batch_delete_inst", bk_obj_id="bk_firewall", delete={"inst_ids": firewalls[:3]})
    assert reply["code"] == 9900403
    instances = reply["permission"]["actions"][0]["related_resource_types"][0]["instances"]
    assert [path[0]["id"] for path in instances] == [str(firewalls[1])]
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls
    assert esb.as_user("x", "batch_delete_inst", bk_obj_id="bk_firewall", delete={"inst_ids": [firewalls[0]]})["result"] is True
    assert esb.as_user("y", "batch_delete_inst", bk_obj_id="bk_firewall", delete={"inst_ids": [firewalls[2]]})["result"] is True


def test_permission_is_checked_before_decoding(cmdb_sim, esb, firewalls):
    # IAM reads "46" as 46, so a denied user sees 9900403 even for ids the decoder would refuse.
    ids = [str(firewalls[0]), 9001]
    reply = esb.as_user("auditor", "batch_delete_inst", bk_obj_id="bk_firewall", delete={"inst_ids": ids})
    assert reply["code"] == 9900403
    listed = reply["permission"]["actions"][0]["related_resource_types"][0]["instances"]
    assert [path[0]["id"] for path in listed] == [str(firewalls[0]), "9001"]


@pytest.mark.parametrize("ids", [["1"], [1.0], [1.5], [True], [None], [[1]], [2 ** 63]])
def test_non_integer_ids_fail_decoding(cmdb_sim, esb, firewalls, ids):
    reply = delete(esb, [firewalls[0]] + ids)
    assert (reply["code"], reply["message"]) == (1199000, "Deserializing JSON data failed")
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls


@pytest.mark.parametrize("body", [{"delete": {"inst_ids": "1,2"}}, {"delete": [1, 2]}, {"delete": {"inst_ids": {"1": 1}}}])
def test_wrong_shapes_fail_decoding(esb, body):
    assert esb("batch_delete_inst", bk_obj_id="bk_firewall", **body)["code"] == 1199000


@pytest.mark.parametrize("obj", ["biz", "set", "module", "host", "process", "plat", "bk_biz_set_obj", "bk_project"])
def test_inner_models_are_refused(cmdb_sim, esb, obj):
    reply = delete(esb, [1], obj=obj)
    assert (reply["code"], reply["message"]) == (1199084, "forbidden operate inner model instance with common instance API")
    assert cmdb_sim.instance_ids("biz") == [1]


def test_decoding_comes_before_inner_model_check(esb):
    assert delete(esb, ["1"], obj="host")["code"] == 1199000


def test_association_to_existing_instance_blocks_the_whole_batch(cmdb_sim, esb):
    switch_ids = cmdb_sim.add_instances("bk_switch", [{"bk_inst_name": "sw-%d" % n, "bk_asset_id": "S%d" % n} for n in range(3)])
    [host_id] = cmdb_sim.add_instances("host", [{"bk_host_name": "app-01", "bk_host_innerip": "10.0.0.1"}])
    cmdb_sim.add_association("bk_switch", switch_ids[1], "host", host_id, "connect")
    reply = delete(esb, switch_ids, obj="bk_switch")
    assert (reply["code"], reply["message"]) == (1101075, "the inst has association")
    assert cmdb_sim.instance_ids("bk_switch") == switch_ids


def test_association_inside_the_same_batch_blocks_too(cmdb_sim, esb, firewalls):
    cmdb_sim.add_association("bk_firewall", firewalls[0], "bk_firewall", firewalls[1], "bk_connect")
    for ids in ([firewalls[0], firewalls[1]], [firewalls[1]]):
        assert delete(esb, ids)["code"] == 1101075
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls


def test_association_to_a_gone_instance_is_cleaned_up(cmdb_sim, esb, firewalls):
    state = cmdb_sim.dump()
    state["associations"].append({
        "id": 77, "bk_obj_asst_id": "bk_firewall_connect_host", "bk_obj_id": "bk_firewall", "bk_inst_id": firewalls[0],
        "bk_asst_obj_id": "host", "bk_asst_inst_id": 424242, "bk_asst_id": "connect", "bk_supplier_account": "0",
    })
    cmdb_sim.load(state)
    assert delete(esb, [firewalls[0]])["result"] is True
    assert cmdb_sim.dump()["associations"] == []


def test_deleting_the_partner_side_of_an_association(cmdb_sim, esb):
    [switch_id] = cmdb_sim.add_instances("bk_switch", [{"bk_inst_name": "sw", "bk_asset_id": "S"}])
    [router_id] = cmdb_sim.add_instances("bk_router", [{"bk_inst_name": "rt", "bk_asset_id": "R"}])
    cmdb_sim.add_association("bk_switch", switch_id, "bk_router", router_id, "uplink")
    assert delete(esb, [router_id], obj="bk_router")["code"] == 1101075


def add_mainline_level(simulator):
    """Insert a custom mainline level bk_idc between biz and set; returns the model's numeric id."""
    state = simulator.dump()
    state["models"].append({"id": 40, "bk_obj_id": "bk_idc", "bk_obj_name": "机房", "kind": "mainline"})
    state["mainline"] = ["biz", "bk_idc", "set", "module", "host"]
    simulator.load(state)


def build_topology(simulator, with_host):
    [idc] = simulator.add_instances("bk_idc", [{"bk_inst_name": "idc-a", "bk_biz_id": 1, "bk_parent_id": 1}])
    [other_idc] = simulator.add_instances("bk_idc", [{"bk_inst_name": "idc-b", "bk_biz_id": 1, "bk_parent_id": 1}])
    sets = simulator.add_instances("set", [
        {"bk_set_name": "web", "bk_biz_id": 1, "bk_parent_id": idc, "default": 0},
        {"bk_set_name": "db", "bk_biz_id": 1, "bk_parent_id": other_idc, "default": 0},
    ])
    modules = simulator.add_instances("module", [
        {"bk_module_name": "nginx", "bk_biz_id": 1, "bk_set_id": sets[0], "bk_parent_id": sets[0]},
        {"bk_module_name": "mysql", "bk_biz_id": 1, "bk_set_id": sets[1], "bk_parent_id": sets[1]},
    ])
    [host] = simulator.add_instances("host", [{"bk_host_name": "web-01", "bk_host_innerip": "10.0.0.2"}])
    simulator.bind_host(host, modules[1])
    if with_host:
        simulator.bind_host(host, modules[0])
    return idc, other_idc, sets, modules


def test_custom_mainline_with_hosts_below_is_refused(cmdb_sim, esb):
    add_mainline_level(cmdb_sim)
    idc, _other_idc, sets, modules = build_topology(cmdb_sim, with_host=True)
    reply = delete(esb, [idc], obj="bk_idc")
    assert (reply["code"], reply["message"]) == (1101030, "Having hosts under the target, deleting forbidden")
    assert idc in cmdb_sim.instance_ids("bk_idc")
    assert cmdb_sim.instance_ids("set") == sets
    assert cmdb_sim.instance_ids("module") == modules


def test_custom_mainline_without_hosts_takes_its_subtree(cmdb_sim, esb):
    add_mainline_level(cmdb_sim)
    idc, other_idc, sets, modules = build_topology(cmdb_sim, with_host=False)
    assert delete(esb, [idc], obj="bk_idc")["result"] is True
    assert cmdb_sim.instance_ids("bk_idc") == [other_idc]
    assert cmdb_sim.instance_ids("set") == sets[1:]
    assert cmdb_sim.instance_ids("module") == modules[1:]


def test_a_default_set_below_a_custom_level_does_not_count(cmdb_sim, esb):
    # Only normal sets (default 0) are part of the subtree: hosts in a default set's modules don't block.
    add_mainline_level(cmdb_sim)
    [idc] = cmdb_sim.add_instances("bk_idc", [{"bk_inst_name": "idc-a", "bk_biz_id": 1, "bk_parent_id": 1}])
    [idle] = cmdb_sim.add_instances("set", [{"bk_set_name": "idle pool", "bk_biz_id": 1, "bk_parent_id": idc, "default": 1}])
    [module] = cmdb_sim.add_instances("module", [{"bk_module_name": "idle", "bk_biz_id": 1, "bk_set_id": idle, "bk_parent_id": idle}])
    [host] = cmdb_sim.add_instances("host", [{"bk_host_name": "spare-01"}])
    cmdb_sim.bind_host(host, module)
    assert delete(esb, [idc], obj="bk_idc")["result"] is True
    assert cmdb_sim.instance_ids("bk_idc") == []
    assert (cmdb_sim.instance_ids("set"), cmdb_sim.instance_ids("module")) == ([idle], [module])


def test_an_association_inside_the_subtree_blocks_the_delete(cmdb_sim, esb):
    add_mainline_level(cmdb_sim)
    idc, _other_idc, sets, modules = build_topology(cmdb_sim, with_host=False)
    [switch] = cmdb_sim.add_instances("bk_switch", [{"bk_inst_name": "sw", "bk_asset_id": "S"}])
    cmdb_sim.add_association("bk_switch", switch, "module", modules[0])
    assert delete(esb, [idc], obj="bk_idc")["code"] == 1101075
    assert idc in cmdb_sim.instance_ids("bk_idc")
    assert (cmdb_sim.instance_ids("set"), cmdb_sim.instance_ids("module")) == (sets, modules)
    assert len(cmdb_sim.dump()["associations"]) == 1


def add_two_mainline_levels(simulator):
    """biz -> bk_region -> bk_idc -> set -> module -> host."""
    state = simulator.dump()
    state["models"] += [
        {"id": 41, "bk_obj_id": "bk_region", "bk_obj_name": "地区", "kind": "mainline"},
        {"id": 40, "bk_obj_id": "bk_idc", "bk_obj_name": "机房", "kind": "mainline"},
    ]
    state["mainline"] = ["biz", "bk_region", "bk_idc", "set", "module", "host"]
    simulator.load(state)


def build_two_branches(simulator, host_in_first):
    """Two regions, each with one idc, set and module; returns {model: [first branch id, second branch id]}.

    A host sits in the second branch's module, and in the first one's if `host_in_first`.
    """
    regions = simulator.add_instances("bk_region", [
        {"bk_inst_name": "south", "bk_biz_id": 1, "bk_parent_id": 1},
        {"bk_inst_name": "north", "bk_biz_id": 1, "bk_parent_id": 1},
    ])
    idcs = simulator.add_instances("bk_idc", [{"bk_inst_name": "idc-1", "bk_biz_id": 1, "bk_parent_id": r} for r in regions])
    sets = simulator.add_instances("set", [{"bk_set_name": "web", "bk_biz_id": 1, "bk_parent_id": i, "default": 0} for i in idcs])
    modules = simulator.add_instances("module", [{"bk_module_name": "nginx", "bk_biz_id": 1, "bk_set_id": s, "bk_parent_id": s} for s in sets])
    [host] = simulator.add_instances("host", [{"bk_host_name": "web-01"}])
    simulator.bind_host(host, modules[1])
    if host_in_first:
        simulator.bind_host(host, modules[0])
    return {"bk_region": regions, "bk_idc": idcs, "set": sets, "module": modules}


def test_a_host_two_levels_down_blocks_the_delete(cmdb_sim, esb):
    add_two_mainline_levels(cmdb_sim)
    topology = build_two_branches(cmdb_sim, host_in_first=True)
    reply = delete(esb, topology["bk_region"][:1], obj="bk_region")
    assert reply["code"] == 1101030
    assert {obj: cmdb_sim.instance_ids(obj) for obj in topology} == topology


def test_deleting_the_upper_level_takes_every_level_below(cmdb_sim, esb):
    add_two_mainline_levels(cmdb_sim)
    topology = build_two_branches(cmdb_sim, host_in_first=False)
    assert delete(esb, topology["bk_region"][:1], obj="bk_region")["result"] is True
    assert {obj: cmdb_sim.instance_ids(obj) for obj in topology} == {obj: ids[1:] for obj, ids in topology.items()}


def test_delete_inst(cmdb_sim, esb, firewalls):
    reply = esb("delete_inst", bk_obj_id="bk_firewall", bk_inst_id=firewalls[0])
    assert (reply["result"], reply["data"]) == (True, None)
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls[1:]
    assert esb("delete_inst", bk_obj_id="bk_firewall", bk_inst_id=9001)["result"] is True
    # The ESB puts the id into the URL, so a numeric string works the same.
    assert esb("delete_inst", bk_obj_id="bk_firewall", bk_inst_id=str(firewalls[1]))["result"] is True
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls[2:]


# Go's strconv.ParseInt(id, 10, 64) takes an optional sign and ASCII digits only, within int64.
@pytest.mark.parametrize("inst_id", ["abc", 1.5, True, "1_0", " 12", "12 ", "١٢", 2 ** 63])
def test_delete_inst_needs_an_integral_id(cmdb_sim, esb, firewalls, inst_id):
    reply = esb("delete_inst", bk_obj_id="bk_firewall", bk_inst_id=inst_id)
    assert (reply["code"], reply["message"]) == (1199009, "'inst id' parameters must be integral")
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls


def test_delete_inst_id_may_carry_a_sign(cmdb_sim, esb, firewalls):
    assert esb("delete_inst", bk_obj_id="bk_firewall", bk_inst_id="+%d" % firewalls[0])["result"] is True
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls[1:]


def test_delete_inst_checks_like_the_batch(cmdb_sim, esb, firewalls):
    assert esb("delete_inst", bk_obj_id="host", bk_inst_id=1)["code"] == 1199084
    assert esb("delete_inst", bk_obj_id="bk_teapot", bk_inst_id=1)["code"] == 1199045
    reply = esb.as_user("auditor", "delete_inst", bk_obj_id="bk_firewall", bk_inst_id=firewalls[0])
    assert reply["code"] == 9900403
    assert reply["permission"]["actions"][0]["id"] == "delete_comobj_10"
    cmdb_sim.add_association("bk_firewall", firewalls[0], "bk_firewall", firewalls[1], "bk_connect")
    assert esb("delete_inst", bk_obj_id="bk_firewall", bk_inst_id=firewalls[0])["code"] == 1101075


def test_delete_inst_batch_route(cmdb_sim, esb, firewalls):
    reply = esb("delete_inst", bk_obj_id="bk_firewall", bk_inst_id="batch", delete={"inst_ids": firewalls[:2]})
    assert reply["result"] is True
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls[2:]
