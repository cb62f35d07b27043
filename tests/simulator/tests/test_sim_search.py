# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookups: search_inst, search_inst_by_object, search_object_instances, models, attributes (contract §3.3-3.5, §3.9, §3.10)."""

from __future__ import annotations

import pytest


@pytest.fixture
def fleet(cmdb_sim):
    """Six firewalls with varied attributes; returns their ids in creation order."""
    records = [
        {"bk_inst_name": "fw-sz-01", "bk_asset_id": "A1", "bk_vendor": "Huawei", "bk_biz_status": "2", "rank": 5},
        {"bk_inst_name": "fw-sz-02", "bk_asset_id": "A2", "bk_vendor": "Cisco", "bk_biz_status": "3", "rank": 1},
        {"bk_inst_name": "fw-sh-01", "bk_asset_id": "A3", "bk_vendor": "Huawei", "bk_biz_status": "3", "rank": 9},
        {"bk_inst_name": "fw-sh-02", "bk_asset_id": "A4", "bk_vendor": "Juniper", "bk_biz_status": "2", "rank": 3},
        {"bk_inst_name": "FW-BJ-01", "bk_asset_id": "A5", "bk_vendor": "H3C", "bk_biz_status": "1", "rank": 7},
        {"bk_inst_name": "fw-bj-02", "bk_asset_id": "A6", "bk_vendor": "Huawei", "bk_biz_status": "2", "rank": None},
    ]
    return cmdb_sim.add_instances("bk_firewall", records)


def search_inst(esb, rules, obj="bk_firewall", **extra):
    reply = esb("search_inst", bk_obj_id=obj, condition={obj: rules}, **extra)
    assert reply["result"] is True, reply
    return reply["data"]


def names(data):
    return [r["bk_inst_name"] for r in data["info"]]


@pytest.mark.parametrize("rule, expected", [
    ({"field": "bk_vendor", "operator": "$eq", "value": "Huawei"}, ["fw-sz-01", "fw-sh-01", "fw-bj-02"]),
    ({"field": "bk_vendor", "operator": "$ne", "value": "Huawei"}, ["fw-sz-02", "fw-sh-02", "FW-BJ-01"]),
    ({"field": "bk_biz_status", "operator": "$in", "value": ["1", "3"]}, ["fw-sz-02", "fw-sh-01", "FW-BJ-01"]),
    ({"field": "bk_biz_status", "operator": "$nin", "value": ["1", "3"]}, ["fw-sz-01", "fw-sh-02", "fw-bj-02"]),
    ({"field": "bk_inst_name", "operator": "$regex", "value": "^fw-s"}, ["fw-sz-01", "fw-sz-02", "fw-sh-01", "fw-sh-02"]),
    ({"field": "rank", "operator": "$gt", "value": 5}, ["fw-sh-01", "FW-BJ-01"]),
    ({"field": "rank", "operator": "$gte", "value": 5}, ["fw-sz-01", "fw-sh-01", "FW-BJ-01"]),
    ({"field": "rank", "operator": "$lt", "value": 3}, ["fw-sz-02"]),
    ({"field": "rank", "operator": "$lte", "value": 3}, ["fw-sz-02", "fw-sh-02"]),
    # No cross-type comparison, as in MongoDB.
    ({"field": "rank", "operator": "$gt", "value": "1"}, []),
])
def test_search_inst_operators(esb, fleet, rule, expected):
    data = search_inst(esb, [rule])
    assert names(data) == expected
    assert data["count"] == len(expected)


def test_search_inst_rules_are_anded_and_fields_is_a_map(esb, fleet):
    rules = [
        {"field": "bk_vendor", "operator": "$eq", "value": "Huawei"},
        {"field": "bk_biz_status", "operator": "$eq", "value": "2"},
    ]
    data = search_inst(esb, rules, fields={"bk_firewall": ["bk_inst_id", "bk_inst_name"]})
    assert data == {"count": 2, "info": [{"bk_inst_id": fleet[0], "bk_inst_name": "fw-sz-01"}, {"bk_inst_id": fleet[5], "bk_inst_name": "fw-bj-02"}]}


def test_search_inst_by_ids_returns_full_records(esb, fleet):
    data = search_inst(esb, [{"field": "bk_inst_id", "operator": "$in", "value": [fleet[1], 9001]}])
    [record] = data["info"]
    assert record["bk_inst_id"] == fleet[1]
    assert record["bk_obj_id"] == "bk_firewall"
    assert record["bk_supplier_account"] == "0"
    assert record["create_time"].endswith("+08:00")


def test_search_inst_paging_has_no_limit_check(esb, fleet, cmdb_sim, firewall_record):
    cmdb_sim.add_instances("bk_firewall", [firewall_record(n) for n in range(300)])
    assert len(search_inst(esb, [], page={"start": 0, "limit": 0})["info"]) == 306
    assert len(search_inst(esb, [], page={"start": 0, "limit": 250})["info"]) == 250
    data = search_inst(esb, [], page={"start": 300, "limit": 10})
    assert (data["count"], len(data["info"])) == (306, 6)


@pytest.mark.parametrize("limit", [0, 300])
def test_search_inst_by_object_has_no_limit_cap(cmdb_sim, esb, firewall_record, limit):
    cmdb_sim.add_instances("bk_firewall", [firewall_record(n) for n in range(250)])
    data = esb("search_inst_by_object", bk_obj_id="bk_firewall", page={"start": 0, "limit": limit})["data"]
    assert (data["count"], len(data["info"])) == (250, 250)


@pytest.mark.parametrize("sort, expected", [
    ("rank", ["fw-bj-02", "fw-sz-02", "fw-sh-02", "fw-sz-01", "FW-BJ-01", "fw-sh-01"]),
    ("-rank", ["fw-sh-01", "FW-BJ-01", "fw-sz-01", "fw-sh-02", "fw-sz-02", "fw-bj-02"]),
    ("rank:-1", ["fw-sh-01", "FW-BJ-01", "fw-sz-01", "fw-sh-02", "fw-sz-02", "fw-bj-02"]),
    ("bk_vendor,-bk_inst_name", ["fw-sz-02", "FW-BJ-01", "fw-sz-01", "fw-sh-01", "fw-bj-02", "fw-sh-02"]),
    ("bk_vendor:1,bk_inst_name:-1", ["fw-sz-02", "FW-BJ-01", "fw-sz-01", "fw-sh-01", "fw-bj-02", "fw-sh-02"]),
])
def test_sorting(esb, fleet, sort, expected):
    assert names(search_inst(esb, [], page={"start": 0, "limit": 0, "sort": sort})) == expected
    reply = esb("search_inst_by_object", bk_obj_id="bk_firewall", page={"sort": sort})
    assert names(reply["data"]) == expected


def test_search_inst_condition_on_an_associated_model(cmdb_sim, esb):
    switches = cmdb_sim.add_instances("bk_switch", [{"bk_inst_name": "sw-%d" % n, "bk_asset_id": "S%d" % n} for n in range(3)])
    hosts = cmdb_sim.add_instances("host", [{"bk_host_name": "app-01"}, {"bk_host_name": "db-01"}])
    cmdb_sim.add_association("bk_switch", switches[0], "host", hosts[0])
    cmdb_sim.add_association("bk_switch", switches[2], "host", hosts[1])
    condition = {"host": [{"field": "bk_host_name", "operator": "$eq", "value": "app-01"}]}
    reply = esb("search_inst", bk_obj_id="bk_switch", condition=condition)
    assert [r["bk_inst_id"] for r in reply["data"]["info"]] == [switches[0]]
    condition = {"host": [{"field": "bk_host_name", "operator": "$eq", "value": "nothing"}]}
    assert esb("search_inst", bk_obj_id="bk_switch", condition=condition)["data"] == {"count": 0, "info": []}


@pytest.mark.parametrize("api, body", [
    ("search_inst", {"condition": {"bk_firewall": [{"field": "rank", "operator": "$near", "value": 1}]}}),
    ("search_inst_by_object", {"condition": {"rank": {"$near": 1}}}),
    ("search_inst_by_object", {"condition": {"bk_inst_name": {"$regex": "("}}}),
    ("search_inst_by_object", {"condition": {"$where": "1"}}),
])
def test_bad_mongo_conditions_fail_like_the_database(esb, fleet, api, body):
    assert esb(api, bk_obj_id="bk_firewall", **body)["code"] == 1199017


def test_search_inst_by_object_passes_mongo_conditions_verbatim(esb, fleet):
    condition = {"$or": [{"bk_vendor": "Cisco"}, {"rank": {"$gte": 7}}], "bk_inst_name": {"$regex": "^fw", "$options": "i"}}
    reply = esb("search_inst_by_object", bk_obj_id="bk_firewall", condition=condition, fields=["bk_inst_name"])
    assert reply["data"] == {"count": 3, "info": [{"bk_inst_name": "fw-sz-02"}, {"bk_inst_name": "fw-sh-01"}, {"bk_inst_name": "FW-BJ-01"}]}
    condition = {"bk_inst_id": {"$in": fleet[:2]}}
    data = esb("search_inst_by_object", bk_obj_id="bk_firewall", condition=condition, page={"start": 1, "limit": 1})["data"]
    assert (data["count"], [r["bk_inst_id"] for r in data["info"]]) == (2, [fleet[1]])


def test_search_inst_by_object_disable_counter(esb, fleet):
    data = esb("search_inst_by_object", bk_obj_id="bk_firewall", disable_counter=True)["data"]
    assert (data["count"], len(data["info"])) == (0, 6)


def query(esb, conditions=None, limit=500, **extra):
    body = {"bk_obj_id": "bk_firewall", "page": {"start": 0, "limit": limit}, **extra}
    if conditions is not None:
        body["conditions"] = conditions
    return esb("search_object_instances", **body)


def test_search_object_instances_by_ids(esb, fleet):
    conditions = {"condition": "AND", "rules": [{"field": "bk_inst_id", "operator": "in", "value": [fleet[4], fleet[2], 9001]}]}
    reply = query(esb, conditions, fields=["bk_inst_id", "bk_inst_name"])
    # No count here, only info, in creation order.
    assert reply["data"] == {"info": [{"bk_inst_id": fleet[2], "bk_inst_name": "fw-sh-01"}, {"bk_inst_id": fleet[4], "bk_inst_name": "FW-BJ-01"}]}


@pytest.mark.parametrize("rule, expected", [
    ({"field": "bk_vendor", "operator": "equal", "value": "Huawei"}, ["fw-sz-01", "fw-sh-01", "fw-bj-02"]),
    ({"field": "bk_vendor", "operator": "not_equal", "value": "Huawei"}, ["fw-sz-02", "fw-sh-02", "FW-BJ-01"]),
    ({"field": "bk_vendor", "operator": "not_in", "value": ["Huawei", "Cisco"]}, ["fw-sh-02", "FW-BJ-01"]),
    ({"field": "rank", "operator": "greater", "value": 5}, ["fw-sh-01", "FW-BJ-01"]),
    ({"field": "rank", "operator": "less_or_equal", "value": 3}, ["fw-sz-02", "fw-sh-02"]),
    ({"field": "bk_inst_name", "operator": "begins_with", "value": "fw-b"}, ["fw-bj-02"]),
    ({"field": "bk_inst_name", "operator": "begins_with_i", "value": "fw-b"}, ["FW-BJ-01", "fw-bj-02"]),
    ({"field": "bk_inst_name", "operator": "contains", "value": "BJ"}, ["FW-BJ-01", "fw-bj-02"]),
    ({"field": "bk_inst_name", "operator": "contains_s", "value": "BJ"}, ["FW-BJ-01"]),
    ({"field": "bk_inst_name", "operator": "ends_with", "value": "-02"}, ["fw-sz-02", "fw-sh-02", "fw-bj-02"]),
    ({"field": "rank", "operator": "is_null", "value": None}, ["fw-bj-02"]),
    ({"field": "rank", "operator": "exist", "value": False}, []),
    ({"field": "create_time", "operator": "datetime_greater", "value": "2000-01-01T00:00:00+08:00"},
     ["fw-sz-01", "fw-sz-02", "fw-sh-01", "fw-sh-02", "FW-BJ-01", "fw-bj-02"]),
])
def test_search_object_instances_operators(esb, fleet, rule, expected):
    assert names(query(esb, {"condition": "AND", "rules": [rule]})["data"]) == expected


def test_search_object_instances_nesting_and_or(esb, fleet):
    conditions = {"condition": "OR", "rules": [
        {"field": "bk_vendor", "operator": "equal", "value": "Cisco"},
        {"condition": "AND", "rules": [
            {"field": "bk_vendor", "operator": "equal", "value": "Huawei"},
            {"condition": "AND", "rules": [{"field": "bk_biz_status", "operator": "equal", "value": "3"}]},
        ]},
    ]}
    assert names(query(esb, conditions)["data"]) == ["fw-sz-02", "fw-sh-01"]


@pytest.mark.parametrize("conditions", ["bk_inst_id in (1)", [{"field": "bk_inst_id"}], 7])
def test_conditions_of_the_wrong_json_type_fail_decoding(esb, fleet, conditions):
    assert query(esb, conditions)["code"] == 1199000


def test_search_object_instances_without_conditions_matches_all(esb, fleet):
    assert len(query(esb)["data"]["info"]) == 6
    assert len(query(esb, limit=2, sort="-bk_inst_id")["data"]["info"]) == 2
    reply = esb("search_object_instances", bk_obj_id="bk_firewall", conditions=None, page={"start": 4, "limit": 10, "sort": "-rank"})
    assert names(reply["data"]) == ["fw-sz-02", "fw-bj-02"]


@pytest.mark.parametrize("page, code", [
    (None, 1199006),
    ({}, 1199006),
    ({"limit": 0}, 1199006),
    ({"limit": None}, 1199006),
    ({"limit": 501}, 1199006),
    ({"limit": -1}, 1199006),
    ({"start": 0}, 1199006),
    ({"limit": 10, "start": -1}, 1199006),
    # page decodes into Go ints first, as in search_inst: a wrong JSON type fails decoding.
    ({"limit": "10"}, 1199000),
    ({"limit": 10.0}, 1199000),
    ({"limit": True}, 1199000),
    ({"limit": 10, "start": "0"}, 1199000),
    ({"limit": 10, "sort": 5}, 1199000),
    ({"limit": "10", "start": -1}, 1199000),
    ("limit=10", 1199000),
])
def test_search_object_instances_page_limit(esb, fleet, page, code):
    body = {"bk_obj_id": "bk_firewall"}
    if page is not None:
        body["page"] = page
    reply = esb("search_object_instances", **body)
    assert reply["code"] == code
    if code == 1199006:
        assert reply["message"].endswith("data parameter verification does not pass")


def test_search_object_instances_null_start_is_zero(esb, fleet):
    reply = esb("search_object_instances", bk_obj_id="bk_firewall", page={"limit": 2, "start": None})
    assert names(reply["data"]) == ["fw-sz-01", "fw-sz-02"]


def nested(depth):
    rule = {"field": "bk_vendor", "operator": "equal", "value": "Huawei"}
    for _level in range(depth):
        rule = {"condition": "AND", "rules": [rule]}
    return rule


@pytest.mark.parametrize("conditions", [
    {"condition": "AND", "rules": []},
    {"condition": "AND", "rules": [{"field": "bk_inst_id", "operator": "in", "value": []}]},
    {"condition": "AND", "rules": [{"field": "bk_inst_id", "operator": "in", "value": list(range(1, 502))}]},
    {"condition": "AND", "rules": [{"field": "bk_inst_id", "operator": "not_in", "value": [1, "2"]}]},
    {"condition": "AND", "rules": [{"field": "bk_inst_id", "operator": "in", "value": [1, True]}]},
    {"condition": "AND", "rules": [{"field": "bk_inst_id", "operator": "in", "value": [1, None]}]},
    {"condition": "AND", "rules": [{"field": "bk_inst_id", "operator": "equal", "value": 1}] * 51},
    {"condition": "XOR", "rules": [{"field": "bk_inst_id", "operator": "equal", "value": 1}]},
    {"condition": "AND", "rules": [{"field": "bk_inst_id", "operator": "$in", "value": [1]}]},
    nested(4),
])
def test_search_object_instances_filter_limits(esb, fleet, conditions):
    reply = query(esb, conditions)
    assert reply["code"] == 1199006
    assert reply["message"].startswith("'conditions: ")


def test_search_object_instances_in_mixes_ints_and_floats(esb, fleet):
    # JSON numbers are all float64 to the server, so [1, 2.0] is of one basic type.
    rules = [{"field": "bk_inst_id", "operator": "in", "value": [fleet[0], float(fleet[1])]}]
    assert names(query(esb, {"condition": "AND", "rules": rules})["data"]) == ["fw-sz-01", "fw-sz-02"]


def test_search_object_instances_filter_limits_at_their_maximum(esb, fleet):
    assert query(esb, nested(3))["result"] is True
    rules = [{"field": "bk_inst_id", "operator": "in", "value": list(range(1, 501))}]
    rules += [{"field": "bk_inst_id", "operator": "not_equal", "value": -n} for n in range(49)]
    assert len(query(esb, {"condition": "AND", "rules": rules})["data"]["info"]) == 6


def test_count_object_instances(esb, fleet):
    conditions = {"condition": "AND", "rules": [{"field": "bk_vendor", "operator": "equal", "value": "Huawei"}]}
    assert esb("count_object_instances", bk_obj_id="bk_firewall", conditions=conditions)["data"] == {"count": 3}


@pytest.mark.parametrize("api, body", [
    ("search_inst", {"condition": {}}),
    ("search_inst_by_object", {}),
    ("search_object_instances", {"page": {"limit": 10}}),
])
def test_view_permission(cmdb_sim, esb, api, body):
    state = cmdb_sim.dump()
    state["users"]["x"] = {"deny": ["view:bk_router"]}
    cmdb_sim.load(state)
    reply = esb.as_user("x", api, bk_obj_id="bk_router", **body)
    assert reply["code"] == 9900403
    [action] = reply["permission"]["actions"]
    assert action["id"] == "view_comobj_8"
    assert "instances" not in action["related_resource_types"][0]
    assert esb.as_user("x", api, bk_obj_id="bk_firewall", **body)["result"] is True
    assert esb.as_user("auditor", api, bk_obj_id="bk_router", **body)["result"] is True


@pytest.mark.parametrize("api, body", [
    ("search_inst", {"condition": {}}),
    ("search_inst_by_object", {}),
    ("search_object_instances", {"page": {"limit": 10}}),
])
def test_searches_on_unknown_and_inner_models(esb, api, body):
    assert esb(api, bk_obj_id="bk_teapot", **body)["code"] == 1199045
    assert esb(api, bk_obj_id="host", **body)["code"] == 1199084


def test_search_objects(esb):
    data = esb("search_objects", bk_obj_id="bk_firewall")["data"]
    assert data == [{
        "id": 10, "bk_obj_id": "bk_firewall", "bk_obj_name": "防火墙", "bk_classification_id": "bk_network",
        "bk_obj_icon": "icon-cc-default", "bk_ispaused": False, "ispre": True, "bk_supplier_account": "0",
    }]
    network = esb("search_objects", bk_classification_id="bk_network")["data"]
    assert [(m["bk_obj_id"], m["id"]) for m in network] == [("bk_switch", 7), ("bk_router", 8), ("bk_load_balance", 9), ("bk_firewall", 10)]
    assert esb("search_objects", bk_obj_id="bk_teapot")["data"] == []
    assert esb("search_objects", bk_obj_id="bk_firewall", bk_supplier_account="1")["data"] == []
    assert len(esb("search_objects")["data"]) == 12


def test_search_object_attribute(cmdb_sim, esb):
    data = esb("search_object_attribute", bk_obj_id="bk_switch")["data"]
    assert [a["bk_property_id"] for a in data] == [
        "bk_asset_id", "bk_inst_name", "bk_sn", "bk_func", "bk_vendor", "bk_model", "bk_admin_ip",
        "bk_operator", "bk_os_detail", "bk_detail", "bk_biz_status",
    ]
    by_id = {a["bk_property_id"]: a for a in data}
    assert by_id["bk_inst_name"]["isrequired"] and by_id["bk_inst_name"]["isonly"]
    assert by_id["bk_detail"]["bk_property_type"] == "longchar"
    assert [o["id"] for o in by_id["bk_biz_status"]["option"]] == ["1", "2", "3"]
    assert {a["bk_obj_id"] for a in data} == {"bk_switch"}
    assert esb("search_object_attribute", bk_obj_id="bk_switch", bk_biz_id=3)["data"] == data
    assert [a["bk_property_id"] for a in esb("search_object_attribute", bk_obj_id="bk_switch", isrequired=True)["data"]] == [
        "bk_asset_id", "bk_inst_name"]
    state = cmdb_sim.dump()
    state["models"].append({"bk_obj_id": "bk_idc", "kind": "mainline"})
    state["mainline"] = ["biz", "bk_idc", "set", "module", "host"]
    cmdb_sim.load(state)
    # bk_parent_id is a system attribute: never listed.
    assert [a["bk_property_id"] for a in esb("search_object_attribute", bk_obj_id="bk_idc")["data"]] == ["bk_inst_name"]


@pytest.mark.parametrize("page, code", [
    ({"limit": "10"}, 1199000),
    ({"start": True}, 1199000),
    ({"sort": 5}, 1199000),
    ({"limit": -1}, 1199006),
])
def test_bad_page_values(esb, fleet, page, code):
    assert esb("search_inst_by_object", bk_obj_id="bk_firewall", page=page)["code"] == code
    assert esb("search_inst", bk_obj_id="bk_firewall", page=page)["code"] == code


def test_searching_an_unknown_account_leaves_no_trace(cmdb_sim, esb):
    esb("search_inst_by_object", bk_obj_id="bk_firewall", bk_supplier_account="nobody")
    condition = {"bk_teapot": [{"field": "x", "operator": "$eq", "value": 1}]}
    esb("search_inst", bk_obj_id="bk_firewall", bk_supplier_account="nobody", condition=condition)
    assert list(cmdb_sim.dump()["instances"]) == ["0"]
