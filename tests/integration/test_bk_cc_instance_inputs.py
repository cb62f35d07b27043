# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Task arguments that must fail (or do nothing) before any HTTP request.

Field cases F10 A (no user credential), F17 B (zero, negative and other non-ids), F18 (empty
list), F19 (built-in models), F07's batch_size bounds, and issue 2's bad input list.
"""

import re

import pytest

from cmdb_helpers import GROUP, add_devices

# A port nothing listens on: any request would fail with "connection refused".
UNREACHABLE = "http://127.0.0.1:9"


def names_element(msg, text):
    """`text` appears in msg as a whole element, not as the tail of a longer number or word."""
    return re.search(r"(?<![\w.'-])" + re.escape(text), msg) is not None


def assert_failed_before_http(run, sim):
    result = run.result
    assert result.get("failed") is True, run.describe()
    assert result.get("changed") is False, run.describe()
    assert sim.requests() == [], "an HTTP request was sent for a task that should have failed first"


# --- F17 B and issue 2: only whole numbers >= 1 are ids -------------------------------------

# The module names each bad element as its Python repr and 1-based position in inst_ids
# (normalize_inst_ids): "0 (position 2)", "'abc' (position 2)". A bare "0" in msg would also
# match the digits of a valid id, so the exact element text is asserted.
@pytest.mark.parametrize("bad,named", [
    ([0], "0 (position 2)"),
    ([-3], "-3 (position 2)"),
    ([46.5], "46.5 (position 2)"),
    (["abc"], "'abc' (position 2)"),
    ([True], "True (position 2)"),
    (["-3"], "'-3' (position 2)"),
    ([None], "None (position 2)"),
    ([[46]], "[46] (position 2)"),
], ids=["zero", "negative", "float", "word", "boolean", "negative-string", "null", "nested-list"])
def test_f17_bad_ids_fail_before_any_request_and_are_named(cmdb_sim, bk_cc_instance, bad, named):
    devices = add_devices(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, [devices[0]["bk_inst_id"]] + bad)

    assert_failed_before_http(run, cmdb_sim)
    msg = run.result["msg"]
    assert "inst_ids" in msg
    assert names_element(msg, named), msg
    # Only the bad element is named; the valid id at position 1 is not.
    assert msg.count("(position ") == 1, msg
    assert devices[0]["bk_inst_id"] in cmdb_sim.instance_ids("bk_firewall")


def test_f17_zero_among_valid_ids_fails_and_names_only_the_zero(cmdb_sim, bk_cc_instance):
    # bk-cmdb reads an inst_id 0 as "no filter" in some code paths; it must never be sent.
    devices = add_devices(cmdb_sim, 1)
    valid = devices[0]["bk_inst_id"]
    run = bk_cc_instance(cmdb_sim, [0, valid])

    assert_failed_before_http(run, cmdb_sim)
    msg = run.result["msg"]
    assert "inst_ids" in msg
    assert names_element(msg, "0 (position 1)"), msg
    assert msg.count("(position ") == 1, msg
    assert "%d (position" % valid not in msg, msg
    assert valid in cmdb_sim.instance_ids("bk_firewall")


def test_a_refused_task_returns_the_always_returned_keys_empty(cmdb_sim, bk_cc_instance):
    # A later task that reads result.deleted after ignore_errors must not trip over a missing key.
    run = bk_cc_instance(cmdb_sim, [0])

    assert_failed_before_http(run, cmdb_sim)
    assert {key: run.result[key] for key in ("deleted", "absent", "instances", "request_ids")} == {
        "deleted": [], "absent": [], "instances": [], "request_ids": []}


# --- typos and missing connection options -----------------------------------------------------

def test_a_typo_in_inst_ids_is_named_as_unsupported_not_as_missing(cmdb_sim, bk_cc_instance):
    run = bk_cc_instance(cmdb_sim, inst_id=[46])

    assert_failed_before_http(run, cmdb_sim)
    assert "Unsupported parameters" in run.result["msg"] and "inst_id" in run.result["msg"]


def test_a_typo_in_a_module_default_is_named_as_unsupported(cmdb_sim, bk_cc_instance):
    defaults = {GROUP: {"bk_pass_host": cmdb_sim.url}}
    run = bk_cc_instance(cmdb_sim, [46], omit=("bk_paas_host",), module_defaults=defaults)

    assert_failed_before_http(run, cmdb_sim)
    assert "Unsupported parameters" in run.result["msg"] and "bk_pass_host" in run.result["msg"]


@pytest.mark.parametrize("option,variable", [("bk_paas_host", "BK_PAAS_HOST"), ("bk_app_code", "BK_APP_CODE"),
                                             ("bk_app_secret", "BK_APP_SECRET")])
def test_a_missing_connection_option_names_its_environment_variable(cmdb_sim, bk_cc_instance, option, variable):
    run = bk_cc_instance(cmdb_sim, [46], omit=(option,))

    assert_failed_before_http(run, cmdb_sim)
    assert option in run.result["msg"] and variable in run.result["msg"] and "module_defaults" in run.result["msg"]


# --- F07: batch_size bounds -----------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [0, 501, -1], ids=["zero", "over-500", "negative"])
def test_f07_batch_size_out_of_range_fails_before_any_request(cmdb_sim, bk_cc_instance, batch_size):
    devices = add_devices(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, [devices[0]["bk_inst_id"]], batch_size=batch_size)

    assert_failed_before_http(run, cmdb_sim)
    assert "batch_size" in run.result["msg"]


# --- bk_paas_host must be an http(s) URL ------------------------------------------------------

@pytest.mark.parametrize("host", ["paas.example.com", "ftp://x", "https://", "", "   "],
                         ids=["no-scheme", "ftp", "no-host", "empty", "blank"])
def test_bad_bk_paas_host_fails_before_any_request(cmdb_sim, bk_cc_instance, host):
    devices = add_devices(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, [devices[0]["bk_inst_id"]], bk_paas_host=host)

    assert_failed_before_http(run, cmdb_sim)
    assert "bk_paas_host" in run.result["msg"]


# --- F10 A: one of bk_username / bk_token is required ----------------------------------------

@pytest.mark.parametrize("credentials", [{}, {"bk_username": "", "bk_token": ""}, {"bk_username": "  "}],
                         ids=["both-omitted", "both-empty", "blank-username"])
def test_f10_no_user_credential_fails_before_any_request_naming_both_options(cmdb_sim, bk_cc_instance, credentials):
    devices = add_devices(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, [devices[0]["bk_inst_id"]], omit=("bk_username",), **credentials)

    assert_failed_before_http(run, cmdb_sim)
    assert "bk_username" in run.result["msg"]
    assert "bk_token" in run.result["msg"]


# --- F18: an empty list is a no-op without a single request -------------------------------------

@pytest.mark.parametrize("inst_ids", [[], "{{ [] }}"], ids=["literal", "templated"])
@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_f18_empty_list_does_nothing_even_with_an_unreachable_host(bk_cc_instance, inst_ids, check):
    run = bk_cc_instance(UNREACHABLE, inst_ids, check=check)
    result = run.result

    assert not result.get("failed"), run.describe()
    assert result["changed"] is False
    assert result["deleted"] == []
    assert result["absent"] == []


def test_f18_empty_list_sends_no_request(cmdb_sim, bk_cc_instance):
    run = bk_cc_instance(cmdb_sim, [])

    assert not run.result.get("failed"), run.describe()
    assert run.result["changed"] is False
    assert cmdb_sim.requests() == []


def test_f18_missing_inst_ids_is_a_parameter_error_not_a_no_op(cmdb_sim, bk_cc_instance):
    run = bk_cc_instance(cmdb_sim)

    assert_failed_before_http(run, cmdb_sim)
    assert "inst_ids" in run.result["msg"]


def test_f18_null_inst_ids_is_a_parameter_error_not_a_no_op(cmdb_sim, bk_cc_instance):
    # What a blank "inst_ids:" line or an undefined-to-null variable gives the module.
    run = bk_cc_instance(cmdb_sim, "{{ None }}")

    assert_failed_before_http(run, cmdb_sim)
    assert "inst_ids is required" in run.result["msg"]


# --- F19: built-in models go through their own APIs -------------------------------------------

@pytest.mark.parametrize("obj_id,hint", [
    ("host", "delete_host"),
    ("set", "delete_set"),
    ("module", "delete_module"),
    ("biz", "business"),
    ("process", "process"),
])
def test_f19_builtin_models_fail_before_any_request_pointing_to_their_api(cmdb_sim, bk_cc_instance, obj_id, hint):
    run = bk_cc_instance(cmdb_sim, [1], bk_obj_id=obj_id)

    assert_failed_before_http(run, cmdb_sim)
    msg = run.result["msg"]
    assert obj_id in msg
    assert hint in msg


@pytest.mark.parametrize("obj_id", ["plat", "bk_biz_set_obj", "bk_project"])
def test_f19_other_inner_models_fail_without_deleting(cmdb_sim, bk_cc_instance, obj_id):
    # The server refuses these with 1199084 on every version read; refusing them up front is fine too.
    run = bk_cc_instance(cmdb_sim, [1], bk_obj_id=obj_id)
    result = run.result

    assert result.get("failed") is True, run.describe()
    assert result["changed"] is False
    if cmdb_sim.requests():
        assert result["code"] == 1199084
        assert "1199084" in result["msg"]
