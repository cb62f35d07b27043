# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bk_cc_instance state=absent over a healthy server: the delete lifecycle and what it reports.

Covers issue 2's checklist (check-mode delete, delete, delete again, partly absent ids, 1203 ids,
diff mode) and field cases F01 (absent ids are no change), F03 (check mode), F07 (batches of at
most 500) and F17 A (duplicate ids).
"""

import math

import pytest

from cmdb_helpers import (
    APP_CODE, APP_SECRET, DEFAULT_OBJ, GROUP, MODULE, USERNAME, add_devices, calls, connection_options, delete_batches, ids_of, looked_up_ids,
    failed_without_change, missing_ids, succeeded, through_vars, writes,
)

RESULT_KEYS = {"changed", "msg", "deleted", "absent", "instances", "request_ids"}


# --- issue 2: check-mode delete, delete, delete again ---------------------------------------

def test_check_mode_delete_reports_what_would_go_and_sends_no_write(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    run = bk_cc_instance(cmdb_sim, ids_of(devices), check=True)
    result = run.result

    assert succeeded(result), run.describe()
    assert result["changed"] is True
    assert result["deleted"] == ids_of(devices)
    assert result["absent"] == []
    assert result["instances"] == devices
    assert RESULT_KEYS <= set(result)
    assert calls(cmdb_sim, "search_inst"), "check mode must still look the ids up"
    assert writes(cmdb_sim) == []
    assert set(ids_of(devices)) <= set(cmdb_sim.instance_ids(DEFAULT_OBJ))


def test_delete_removes_the_instances_in_one_request(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 3)
    run = bk_cc_instance(cmdb_sim, ids_of(devices))
    result = run.result

    assert succeeded(result), run.describe()
    assert result["changed"] is True
    assert result["deleted"] == ids_of(devices)
    assert result["absent"] == []
    assert result["instances"] == devices
    assert RESULT_KEYS <= set(result)
    assert delete_batches(cmdb_sim) == [ids_of(devices)]
    assert not set(ids_of(devices)) & set(cmdb_sim.instance_ids(DEFAULT_OBJ))
    # One ESB request id per call the task made, for support tickets.
    assert len(result["request_ids"]) == len(cmdb_sim.requests())
    assert all(isinstance(rid, str) and rid for rid in result["request_ids"])


def test_every_request_carries_the_esb_credentials_and_the_model(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, ids_of(devices))
    assert succeeded(run.result), run.describe()

    entries = cmdb_sim.requests()
    assert {entry["api"] for entry in entries} == {"search_inst", "batch_delete_inst"}
    for entry in entries:
        body = entry["body"]
        assert entry["method"] == "POST"
        assert entry["path"] == "/api/c/compapi/v2/cc/%s/" % entry["api"]
        assert (body["bk_app_code"], body["bk_app_secret"], body["bk_username"]) == (APP_CODE, APP_SECRET, USERNAME)
        # ESB rejects a present but invalid bk_token even next to a valid bk_username.
        assert "bk_token" not in body
        assert body["bk_obj_id"] == DEFAULT_OBJ
    lookup = calls(cmdb_sim, "search_inst")[0]["body"]
    assert {"bk_inst_id", "bk_inst_name"} <= set(lookup["fields"][DEFAULT_OBJ])
    assert lookup["page"]["limit"] <= 200
    assert looked_up_ids(calls(cmdb_sim, "search_inst")[0]) == ids_of(devices)


def test_delete_again_is_no_change_and_sends_no_write(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    first = bk_cc_instance(cmdb_sim, ids_of(devices))
    assert first.result["changed"] is True, first.describe()
    cmdb_sim.clear_requests()

    again = bk_cc_instance(cmdb_sim, ids_of(devices))
    result = again.result

    assert succeeded(result), again.describe()
    assert result["changed"] is False
    assert result["deleted"] == []
    assert result["absent"] == ids_of(devices)
    assert result["instances"] == []
    assert writes(cmdb_sim) == []


def test_checklist_as_one_play_check_then_delete_then_repeat(cmdb_sim, ansible):
    """The order a user runs it in: one play, connection set once through module_defaults."""
    devices = add_devices(cmdb_sim, 2)
    extra_vars = {}
    defaults = {GROUP: through_vars(connection_options(cmdb_sim), "defaults", extra_vars)}
    task = {MODULE: {"bk_obj_id": DEFAULT_OBJ, "inst_ids": ids_of(devices), "state": "absent"}}
    run = ansible.run_tasks([dict(task, check_mode=True), task, task], module_defaults=defaults, extra_vars=extra_vars)
    ansible.check_invariants(run)
    dry, done, again = run.results

    assert (dry["changed"], done["changed"], again["changed"]) == (True, True, False), run.describe()
    assert dry["deleted"] == done["deleted"] == ids_of(devices)
    assert again["deleted"] == [] and again["absent"] == ids_of(devices)
    assert not any(result.get("failed") for result in run.results)
    assert delete_batches(cmdb_sim) == [ids_of(devices)]


# --- F01: ids that do not exist are no change (bk-cmdb#7696: the server answers success) ----

@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_f01_ids_that_do_not_exist_are_no_change_and_never_sent_to_delete(cmdb_sim, bk_cc_instance, check):
    assert 9001 not in cmdb_sim.instance_ids(DEFAULT_OBJ)
    run = bk_cc_instance(cmdb_sim, [9001], check=check)
    result = run.result

    assert succeeded(result), run.describe()
    assert result["changed"] is False
    assert result["deleted"] == []
    assert result["absent"] == [9001]
    assert calls(cmdb_sim, "batch_delete_inst") == []


def test_f01_partly_absent_ids_delete_only_the_existing_ones(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    gone = missing_ids(cmdb_sim, 2)
    requested = [gone[0], devices[0]["bk_inst_id"], gone[1], devices[1]["bk_inst_id"]]
    run = bk_cc_instance(cmdb_sim, requested)
    result = run.result

    assert succeeded(result), run.describe()
    assert result["changed"] is True
    assert result["deleted"] == ids_of(devices)
    assert result["absent"] == gone
    assert result["instances"] == devices
    # Only ids the look-up found are sent: a stale id may be denied by instance-scoped IAM policies.
    assert delete_batches(cmdb_sim) == [ids_of(devices)]


def test_f01_ids_of_another_model_are_absent_and_survive(cmdb_sim, bk_cc_instance):
    switches = add_devices(cmdb_sim, 2, obj_id="bk_switch")
    run = bk_cc_instance(cmdb_sim, ids_of(switches), bk_obj_id="bk_firewall")
    result = run.result

    assert succeeded(result), run.describe()
    assert result["changed"] is False
    assert result["deleted"] == []
    assert result["absent"] == ids_of(switches)
    assert calls(cmdb_sim, "batch_delete_inst") == []
    assert set(ids_of(switches)) <= set(cmdb_sim.instance_ids("bk_switch"))


# --- F03: check mode says `changed` correctly both ways ---------------------------------------

@pytest.mark.parametrize("present,absent", [(2, 0), (0, 2), (1, 2)], ids=["all-exist", "none-exist", "some-exist"])
def test_f03_check_mode_changed_follows_what_exists(cmdb_sim, bk_cc_instance, present, absent):
    devices = add_devices(cmdb_sim, present) if present else []
    gone = missing_ids(cmdb_sim, absent)
    run = bk_cc_instance(cmdb_sim, ids_of(devices) + gone, check=True)
    result = run.result

    assert succeeded(result), run.describe()
    assert result["changed"] is bool(present)
    assert result["deleted"] == ids_of(devices)
    assert result["absent"] == gone
    assert result["instances"] == devices
    assert writes(cmdb_sim) == []


def test_f03_check_mode_and_real_run_return_the_same_keys(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    checked = bk_cc_instance(cmdb_sim, ids_of(devices), check=True).result
    done = bk_cc_instance(cmdb_sim, ids_of(devices)).result

    assert RESULT_KEYS <= set(checked)
    assert set(checked) == set(done)
    assert checked["deleted"] == done["deleted"] == ids_of(devices)
    assert checked["instances"] == done["instances"] == devices


# --- diff mode --------------------------------------------------------------------------------

@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_diff_mode_shows_the_instances_before_and_none_after(cmdb_sim, bk_cc_instance, check):
    devices = add_devices(cmdb_sim, 2)
    gone = missing_ids(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, ids_of(devices) + gone, check=check, diff=True)
    result = run.result

    assert succeeded(result), run.describe()
    assert result["diff"] == {"before": {"instances": devices}, "after": {"instances": []}}
    assert bool(writes(cmdb_sim)) is not check


# --- F07: at most 500 ids per delete, look-ups of at most 200 ----------------------------------

@pytest.mark.parametrize("count,batch_size,sizes", [
    (1203, None, [500, 500, 203]),
    (501, None, [500, 1]),
    (450, 200, [200, 200, 50]),
    (3, 1, [1, 1, 1]),
], ids=["1203-default", "501-default", "450-by-200", "3-by-1"])
def test_f07_deletes_are_split_into_batches(cmdb_sim, bk_cc_instance, count, batch_size, sizes):
    devices = add_devices(cmdb_sim, count)
    ids = ids_of(devices)
    options = {} if batch_size is None else {"batch_size": batch_size}
    run = bk_cc_instance(cmdb_sim, ids, **options)
    result = run.result

    assert succeeded(result), run.describe()
    assert result["changed"] is True
    assert len(result["deleted"]) == count
    assert sorted(result["deleted"]) == sorted(ids)

    batches = delete_batches(cmdb_sim)
    assert [len(batch) for batch in batches] == sizes
    sent = [inst_id for batch in batches for inst_id in batch]
    assert len(sent) == len(set(sent)), "an id was sent in two deletes"
    assert sorted(sent) == sorted(ids)

    lookups = calls(cmdb_sim, "search_inst")
    assert len(lookups) <= math.ceil(count / 200.0)
    assert all(entry["body"]["page"]["limit"] <= 200 for entry in lookups)
    assert set(inst_id for entry in lookups for inst_id in looked_up_ids(entry)) == set(ids)
    assert not set(ids) & set(cmdb_sim.instance_ids(DEFAULT_OBJ))


# --- F17 A: duplicates are sent once, order kept ---------------------------------------------

@pytest.mark.parametrize("pattern", [
    [0, 0, 1, 1, 1],
    [1, 0, 1, 0],
    [0, 1, 0, 1, 1, 0],
], ids=["7-7-8-8-8", "8-7-8-7", "interleaved"])
def test_f17_duplicate_ids_are_deleted_once_in_first_seen_order(cmdb_sim, bk_cc_instance, pattern):
    devices = add_devices(cmdb_sim, 2)
    requested = [devices[index]["bk_inst_id"] for index in pattern]
    expected = list(dict.fromkeys(requested))
    run = bk_cc_instance(cmdb_sim, requested)
    result = run.result

    assert succeeded(result), run.describe()
    assert delete_batches(cmdb_sim) == [expected]
    assert result["deleted"] == expected
    assert result["absent"] == []
    assert [instance["bk_inst_id"] for instance in result["instances"]] == expected


def test_digit_strings_are_accepted_as_ids_and_sent_as_integers(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    first, second = ids_of(devices)
    # Jinja (map, split, extract) often yields strings; "46" and 46 are the same instance.
    run = bk_cc_instance(cmdb_sim, [str(first), first, str(second)])
    result = run.result

    assert succeeded(result), run.describe()
    assert result["deleted"] == [first, second]
    assert delete_batches(cmdb_sim) == [[first, second]]
    # The server decodes inst_ids into []int64: a JSON string there fails with 1199000.
    assert all(isinstance(inst_id, int) and not isinstance(inst_id, bool) for inst_id in delete_batches(cmdb_sim)[0])


# --- custom mainline levels: the server would delete a whole branch of the topology -----------

def add_idc_level(sim):
    """A custom mainline level bk_idc between biz and set, with one idc holding a set and a module.

    Returns the idc's id, and the set's and module's ids that deleting the idc would take along.
    """
    state = sim.dump()
    state["models"].append({"id": 40, "bk_obj_id": "bk_idc", "bk_obj_name": "机房", "kind": "mainline"})
    state["mainline"] = ["biz", "bk_idc", "set", "module", "host"]
    sim.load(state)
    [idc] = sim.add_instances("bk_idc", [{"bk_inst_name": "idc-sh-01", "bk_biz_id": 1, "bk_parent_id": 1}])
    [web] = sim.add_instances("set", [{"bk_set_name": "web", "bk_biz_id": 1, "bk_parent_id": idc, "default": 0}])
    [nginx] = sim.add_instances("module", [{"bk_module_name": "nginx", "bk_biz_id": 1, "bk_set_id": web, "bk_parent_id": web}])
    return idc, web, nginx


@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_a_custom_mainline_instance_is_refused_and_its_branch_survives(cmdb_sim, bk_cc_instance, check):
    idc, web, nginx = add_idc_level(cmdb_sim)
    gone = missing_ids(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, [idc] + gone, bk_obj_id="bk_idc", check=check)
    result = failed_without_change(run)

    assert "custom level of the business topology" in result["msg"]
    assert "%d (idc-sh-01)" % idc in result["msg"] and "Nothing was deleted" in result["msg"]
    assert (result["deleted"], result["not_deleted"], result["absent"]) == ([], [idc], gone)
    assert writes(cmdb_sim) == []
    assert calls(cmdb_sim, "search_inst"), "the refusal rests on the look-up"
    assert "bk_parent_id" in calls(cmdb_sim, "search_inst")[0]["body"]["fields"]["bk_idc"]
    assert (cmdb_sim.instance_ids("bk_idc"), cmdb_sim.instance_ids("set"), cmdb_sim.instance_ids("module")) == ([idc], [web], [nginx])


def test_ordinary_instances_report_no_parent_field(cmdb_sim, bk_cc_instance):
    # bk_parent_id is asked for on every look-up; ordinary models have none, and results keep their three keys.
    devices = add_devices(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, ids_of(devices), diff=True)
    assert succeeded(run.result), run.describe()
    assert run.result["instances"] == devices
    assert run.result["diff"]["before"]["instances"] == devices
