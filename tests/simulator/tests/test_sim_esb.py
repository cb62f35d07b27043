# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ESB front: authentication, component permission, routing, the envelope (contract §1.2)."""

from __future__ import annotations

import re

import pytest

SEARCH = {"bk_obj_id": "bk_firewall", "condition": {}}


def esb_failure(reply, code, message):
    assert reply["result"] is False
    assert reply["code"] == code
    assert reply["message"] == message
    assert reply["data"] is None
    # ESB-level failures have no permission key (contract §1.2).
    assert "permission" not in reply
    assert re.fullmatch(r"[0-9a-f]{32}", reply["request_id"])


@pytest.mark.parametrize("auth, message", [
    ({"bk_app_secret": "x", "bk_username": "ops-bot"}, "APP Code [bk_app_code] cannot be empty"),
    ({"bk_app_code": "", "bk_app_secret": "x", "bk_username": "ops-bot"}, "APP Code [bk_app_code] cannot be empty"),
    ({"bk_app_code": "ansible-test", "bk_username": "ops-bot"}, "APP Secret [bk_app_secret] cannot be empty"),
    ({"bk_app_code": "ghost", "bk_app_secret": "x", "bk_username": "ops-bot"},
     "Invalid APP Code [bk_app_code=ghost], please confirm if the APP Code has been registered"),
    ({"bk_app_code": "ansible-test", "bk_app_secret": "wrong", "bk_username": "ops-bot"},
     "APP Secret verification failed, pelase confirm if the APP Secret and APP Code [bk_app_code=ansible-test] match"),
])
def test_app_authentication_failures(esb, auth, message):
    esb_failure(esb("search_inst_by_object", auth=auth, **SEARCH), 1306000, message)


NO_IDENTITY = "User authentication failed, please provide a valid user identity, such as bk_token, bk_username"
BAD_TOKEN = "User authentication failed, please check if the bk_token is valid"


@pytest.mark.parametrize("user_fields, message", [
    ({}, NO_IDENTITY),
    ({"bk_username": ""}, NO_IDENTITY),
    ({"bk_token": "forged"}, BAD_TOKEN),
    # The token is checked first: a bad one fails even next to a username that would pass.
    ({"bk_token": "forged", "bk_username": "ops-bot"}, BAD_TOKEN),
])
def test_user_authentication_failures(esb, user_fields, message):
    auth = {"bk_app_code": "ansible-test", "bk_app_secret": "sim-secret-ansible-test", **user_fields}
    esb_failure(esb("search_inst_by_object", auth=auth, **SEARCH), 1306000, message)


def test_empty_token_is_ignored_and_username_used(esb):
    auth = dict(esb.auth, bk_token="")
    assert esb("search_inst_by_object", auth=auth, **SEARCH)["result"] is True


def test_valid_token_identifies_the_user(esb):
    auth = {"bk_app_code": "token-only-app", "bk_app_secret": "sim-secret-token-only", "bk_token": "sim-token-ops-bot"}
    assert esb("search_inst_by_object", auth=auth, **SEARCH)["result"] is True


def test_username_only_works_for_apps_allowed_to_skip_user_auth(esb):
    auth = {"bk_app_code": "token-only-app", "bk_app_secret": "sim-secret-token-only", "bk_username": "ops-bot"}
    esb_failure(esb("search_inst_by_object", auth=auth, **SEARCH), 1306000, NO_IDENTITY)


@pytest.mark.parametrize("api", ["batch_delete_inst", "delete_inst"])
def test_component_permission(esb, api):
    auth = {"bk_app_code": "no-delete-app", "bk_app_secret": "sim-secret-no-delete", "bk_username": "ops-bot"}
    reply = esb(api, auth=auth, bk_obj_id="bk_firewall", bk_inst_id=1, delete={"inst_ids": [1]})
    assert reply["code"] == 1306403
    assert reply["message"].startswith("APP has no permission to access the component (%s) of the system (CC)." % api)
    assert esb("search_inst_by_object", auth=auth, **SEARCH)["result"] is True


def test_unknown_component(esb):
    reply = esb("delete_everything", bk_obj_id="bk_firewall")
    assert reply["code"] == 1306404
    assert "delete_everything" in reply["message"]


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"'])
def test_body_that_is_not_a_json_object(cmdb_sim, esb, raw):
    reply = esb.session.post(cmdb_sim.url + "/api/c/compapi/v2/cc/search_inst/", data=raw, headers={"Content-Type": "application/json"})
    assert reply.status_code == 200
    assert reply.json()["code"] == 1306000
    assert cmdb_sim.requests()[-1]["raw_body"] == raw


@pytest.mark.parametrize("api, body", [
    ("batch_delete_inst", {"delete": {"inst_ids": [1]}}),
    ("search_object_instances", {"page": {"limit": 10}}),
    ("create_inst", {"bk_inst_name": "x"}),
    ("delete_inst", {"bk_obj_id": "bk_firewall"}),
    ("update_inst", {"bk_obj_id": "bk_firewall", "bk_inst_id": ""}),
    # The ESB checks its path variables before CMDB looks the model up.
    ("delete_inst", {"bk_obj_id": "no_such_model"}),
    ("update_inst", {"bk_obj_id": "no_such_model"}),
])
def test_missing_path_variable(esb, api, body):
    reply = esb(api, **body)
    assert reply["code"] == 1306406
    assert re.fullmatch(r"Parameters error, param bk_(obj|inst)_id is required", reply["message"])


def test_success_envelope(esb, firewalls):
    reply = esb("search_inst_by_object", **SEARCH)
    assert set(reply) == {"result", "code", "message", "permission", "request_id", "data"}
    assert (reply["result"], reply["code"], reply["message"], reply["permission"]) == (True, 0, "success", None)
    assert reply["data"]["count"] == len(firewalls)


def test_request_ids_are_fresh(esb):
    ids = {esb("search_inst_by_object", **SEARCH)["request_id"] for _call in range(5)}
    assert len(ids) == 5


def test_supplier_account_separates_instances(cmdb_sim, esb, firewall_record):
    default_ids = cmdb_sim.add_instances("bk_firewall", [firewall_record(1)])
    other_ids = cmdb_sim.add_instances("bk_firewall", [firewall_record(1)], supplier_account="tenant-a")
    assert set(default_ids).isdisjoint(other_ids)
    assert [r["bk_inst_id"] for r in esb("search_inst_by_object", **SEARCH)["data"]["info"]] == default_ids
    found = esb("search_inst_by_object", bk_supplier_account="tenant-a", **SEARCH)["data"]["info"]
    assert [r["bk_inst_id"] for r in found] == other_ids
    assert esb("search_inst_by_object", bk_supplier_account="nobody", **SEARCH)["data"] == {"count": 0, "info": []}
    # A delete under the wrong account silently matches nothing.
    reply = esb("batch_delete_inst", bk_obj_id="bk_firewall", bk_supplier_account="nobody", delete={"inst_ids": default_ids})
    assert reply["result"] is True
    assert cmdb_sim.instance_ids("bk_firewall") == default_ids


def test_other_methods_and_paths(cmdb_sim, esb):
    reply = esb.session.get(cmdb_sim.url + "/api/c/compapi/v2/cc/search_inst/")
    assert (reply.status_code, reply.headers["Content-Type"], reply.text) == (405, "text/plain", "405: Method Not Allowed")
    reply = esb.session.post(cmdb_sim.url + "/wrong/prefix/", json={})
    assert reply.status_code == 404
    assert reply.headers["Content-Type"] == "text/html"
    assert "<h1>404 Not Found</h1>" in reply.text
    logged = cmdb_sim.requests()
    assert [(e["method"], e["api"], e["status"]) for e in logged] == [("GET", "search_inst", 405), ("POST", None, 404)]
