# -*- coding: utf-8 -*-
# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.blueking.cmdb.plugins.module_utils.errors import ApiError, InputError
from ansible_collections.blueking.cmdb.plugins.module_utils.instances import DeleteOutcome
from ansible_collections.blueking.cmdb.plugins.modules import bk_cc_instance

FW = "bk_firewall"


def task_params(**overrides):
    values = dict((name, spec.get("default")) for name, spec in bk_cc_instance.argument_spec().items())
    values.update(bk_paas_host="https://paas.example.test", bk_app_code="ansible-test", bk_app_secret="S3cr3t",
                  bk_username="ops-bot", bk_obj_id=FW, state="absent", inst_ids=[46, "47", 46])
    values.update(overrides)
    return values


def test_validate_normalizes_everything_before_any_call():
    task = bk_cc_instance.validate(task_params())
    assert (task["obj_id"], task["inst_ids"], task["batch_size"]) == (FW, [46, 47], 500)
    assert task["connection"]["base_url"] == "https://paas.example.test"


@pytest.mark.parametrize("overrides, word", [
    (dict(bk_obj_id="host"), "delete_host"),
    (dict(inst_ids=[0, 5]), "0 (position 1)"),
    (dict(batch_size=501), "batch_size"),
    (dict(bk_paas_host="paas.example.test"), "bk_paas_host"),
    (dict(bk_username=None), "bk_token"),
    (dict(inst_ids=None), "inst_ids is required"),
])
def test_validate_rejects_bad_input(overrides, word, monkeypatch):
    monkeypatch.delenv("BK_USERNAME", raising=False)
    monkeypatch.delenv("BK_TOKEN", raising=False)
    with pytest.raises(InputError) as info:
        bk_cc_instance.validate(task_params(**overrides))
    assert word in str(info.value)


@pytest.mark.parametrize("overrides, word", [
    (dict(bk_paas_host="http://["), "bk_paas_host"),
    (dict(bk_paas_host="https://paas.example.test:99999"), "bk_paas_host"),
    (dict(timeout=float("inf")), "timeout"),
    (dict(timeout=float("nan")), "timeout"),
    (dict(timeout=1e300), "timeout"),
    (dict(retry_delay=float("nan")), "retry_delay"),
    (dict(retry_delay=-1.0), "retry_delay"),
    (dict(ca_path="/tmp/ca\x00.pem"), "ca_path"),
], ids=repr)
def test_validate_turns_values_that_would_crash_later_into_input_errors(overrides, word):
    with pytest.raises(InputError) as info:
        bk_cc_instance.validate(task_params(**overrides))
    assert word in str(info.value)


# Whatever a task (or Jinja) hands over, after Ansible's own type conversion: a result or an
# InputError, never another exception.
ANY_TEXT = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["http://[", "https://h:0", "http://:80", "https://h/p?q=1", " "]))
ANY_FLOAT = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
ANY_INT = st.one_of(st.none(), st.integers(min_value=-2 ** 70, max_value=2 ** 70))
ANY_ELEMENT = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2 ** 70, max_value=2 ** 70), st.floats(),
                        st.text(max_size=12), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
TASKS = st.fixed_dictionaries({
    "bk_paas_host": ANY_TEXT, "bk_app_code": ANY_TEXT, "bk_app_secret": ANY_TEXT, "bk_username": ANY_TEXT,
    "bk_token": ANY_TEXT, "bk_supplier_account": ANY_TEXT, "validate_certs": st.booleans(), "ca_path": ANY_TEXT,
    "timeout": ANY_FLOAT, "retries": ANY_INT, "retry_delay": ANY_FLOAT, "bk_obj_id": ANY_TEXT,
    "state": st.just("absent"), "inst_ids": st.one_of(st.none(), st.lists(ANY_ELEMENT, max_size=8)), "batch_size": ANY_INT,
})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TASKS)
def test_any_task_arguments_give_settings_or_a_clear_error(params):
    try:
        task = bk_cc_instance.validate(params)
    except InputError as error:
        assert str(error)
        return
    connection = task["connection"]
    assert connection["base_url"].startswith(("http://", "https://"))
    assert 0 < connection["timeout"] <= 3600 and 0 <= connection["retry_delay"] <= 60
    assert all(isinstance(i, int) and i >= 1 for i in task["inst_ids"])


def outcome(existing, absent=(), deleted=(), not_deleted=(), error=None, failed_batch=None):
    result = DeleteOutcome(dict((i, {"bk_inst_id": i, "bk_inst_name": "fw-%d" % i, "bk_obj_id": FW}) for i in existing), list(absent))
    result.deleted_ids = list(deleted)
    result.not_deleted_ids = list(not_deleted)
    result.error = error
    result.failed_batch = failed_batch
    return result


def test_success_result_has_the_documented_keys_and_diff():
    result = bk_cc_instance.build_result(outcome([46, 47], absent=[48], deleted=[46, 47]), FW, False, ["r-1", "r-2"], diff_mode=True)
    assert result["changed"] is True
    assert result["msg"] == "Deleted 2 bk_firewall instances; 1 requested id did not exist."
    assert (result["deleted"], result["absent"], result["request_ids"]) == ([46, 47], [48], ["r-1", "r-2"])
    assert result["instances"] == [{"bk_inst_id": 46, "bk_inst_name": "fw-46", "bk_obj_id": FW},
                                   {"bk_inst_id": 47, "bk_inst_name": "fw-47", "bk_obj_id": FW}]
    assert result["diff"] == {"before": {"instances": result["instances"]}, "after": {"instances": []}}
    assert "not_deleted" not in result and "code" not in result


def test_check_mode_and_real_run_return_the_same_keys():
    real = bk_cc_instance.build_result(outcome([46], deleted=[46]), FW, False, ["r"])
    check = bk_cc_instance.build_result(outcome([46], deleted=[46]), FW, True, ["r"])
    assert set(real) == set(check) and check["msg"].startswith("Would delete 1 bk_firewall instance")
    assert "diff" not in real


@pytest.mark.parametrize("ids_absent, msg", [
    ([9001], "Nothing to delete: 1 requested id not found in model bk_firewall (bk_supplier_account 0)."),
    ([9001, 9002], "Nothing to delete: 2 requested ids not found in model bk_firewall (bk_supplier_account 0)."),
    ([], "inst_ids is empty; nothing to delete."),
])
def test_nothing_to_do(ids_absent, msg):
    result = bk_cc_instance.build_result(outcome([], absent=ids_absent), FW, False, [])
    assert (result["changed"], result["msg"], result["deleted"]) == (False, msg, [])


def test_partial_failure_names_the_batch_and_keeps_what_was_done():
    error = ApiError("batch_delete_inst", 1101075, "instance 550 is associated", request_id="r-2")
    failed = outcome(range(1, 601), deleted=range(1, 501), not_deleted=range(501, 601), error=error, failed_batch=(2, 2, 100))
    result = bk_cc_instance.build_result(failed, FW, False, ["r-1", "r-2"], diff_mode=True)
    assert result["changed"] is True and result["code"] == 1101075 and result["request_id"] == "r-2"
    assert result["not_deleted"] == list(range(501, 601)) and len(result["deleted"]) == 500
    for text in ("batch 2 of 2", "batch_delete_inst failed", "1101075", "instance 550 is associated", "r-2", "Deleted 500 ids"):
        assert text in result["msg"]
    assert [i["bk_inst_id"] for i in result["diff"]["after"]["instances"]] == list(range(501, 601))


def test_lookup_failure_says_nothing_was_deleted_and_passes_permission():
    permission = {"system_id": "bk_cmdb", "actions": [{"id": "view_comobj_6"}]}
    error = ApiError("search_inst", 9900403, "no permission", request_id="r-9", permission=permission)
    result = bk_cc_instance.build_result(outcome([], not_deleted=[46], error=error), FW, True, ["r-9"])
    assert result["changed"] is False and result["permission"] == permission and result["code"] == 9900403
    assert result["msg"].endswith("Nothing was deleted.") and "search_inst failed" in result["msg"]


def test_nothing_to_do_names_the_supplier_account_it_looked_in():
    # A wrong bk_supplier_account matches nothing and looks exactly like ids that are gone.
    result = bk_cc_instance.build_result(outcome([], absent=[9001]), FW, False, [], supplier_account="tenant-b")
    assert "bk_supplier_account tenant-b" in result["msg"]


def test_a_refused_task_still_returns_the_always_returned_keys():
    result = bk_cc_instance.refused_result("inst_ids must be whole numbers >= 1")
    assert result == {"changed": False, "msg": "inst_ids must be whole numbers >= 1", "deleted": [], "absent": [],
                      "instances": [], "request_ids": []}
