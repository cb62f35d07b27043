# -*- coding: utf-8 -*-
# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.blueking.cmdb.plugins.module_utils.client import EsbClient, Reply
from ansible_collections.blueking.cmdb.plugins.module_utils.errors import (
    ApiError,
    InputError,
    ReplyError,
    TopologyRefusal,
    TransportError,
    UnexpectedDataError,
)
from ansible_collections.blueking.cmdb.plugins.module_utils.instances import (
    BUILTIN_MODELS,
    check_batch_size,
    check_obj_id,
    delete_instances,
    find_existing,
    normalize_inst_ids,
)


# --- argument checks -------------------------------------------------------------------------

@pytest.mark.parametrize("values, expected", [
    ([46, 47], [46, 47]),
    (["46", " 47 ", "+48"], [46, 47, 48]),
    ([7, 7, 8, 8, 8], [7, 8]),
    ([8, "7", 8, 7], [8, 7]),
    ([], []),
    (None, []),
    ([2 ** 63 - 1], [2 ** 63 - 1]),
])
def test_inst_ids_are_normalized(values, expected):
    assert normalize_inst_ids(values) == expected


@pytest.mark.parametrize("values, named", [
    ([0, 5], ["0 (position 1)"]),
    ([-3], ["-3 (position 1)"]),
    ([46.5], ["46.5 (position 1)"]),
    ([46.0], ["46.0 (position 1)"]),
    ([1, "abc"], ["'abc' (position 2)"]),
    ([True, 2], ["True (position 1)"]),
    ([None], ["None (position 1)"]),
    ([{"id": 1}], ["{'id': 1} (position 1)"]),
    (["", "4 6"], ["'' (position 1)", "'4 6' (position 2)"]),
    (["\u0663"], ["position 1"]),
    ([2 ** 63], ["%d (position 1)" % 2 ** 63]),
])
def test_bad_inst_ids_are_named_with_their_position(values, named):
    with pytest.raises(InputError) as info:
        normalize_inst_ids(values)
    for text in named:
        assert text in str(info.value)


def test_a_long_list_of_bad_ids_is_summarised():
    with pytest.raises(InputError) as info:
        normalize_inst_ids([0] * 25)
    assert "and 15 more" in str(info.value)


@given(st.lists(st.one_of(st.integers(), st.text(max_size=8), st.floats(allow_nan=True), st.booleans(), st.none(),
                          st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)),
                max_size=30))
@settings(max_examples=300, deadline=None)
def test_any_input_gives_valid_ids_or_a_clear_error(values):
    try:
        ids = normalize_inst_ids(values)
    except InputError as error:
        assert str(error).startswith("inst_ids must be whole numbers >= 1")
        return
    assert all(isinstance(i, int) and not isinstance(i, bool) and i >= 1 for i in ids)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", sorted(BUILTIN_MODELS))
def test_builtin_models_are_refused_with_their_dedicated_api(name):
    with pytest.raises(InputError) as info:
        check_obj_id(name)
    assert "1199084" in str(info.value) and BUILTIN_MODELS[name] in str(info.value)


@pytest.mark.parametrize("value", ["", "  ", "bk_switch/../x", "bk switch", None])
def test_malformed_model_ids_are_refused(value):
    with pytest.raises(InputError):
        check_obj_id(value)


def test_model_id_is_trimmed():
    assert check_obj_id(" bk_firewall ") == "bk_firewall"


@pytest.mark.parametrize("value", [0, 501, -1, True, "10", None])
def test_batch_size_out_of_range_is_refused(value):
    with pytest.raises(InputError):
        check_batch_size(value)


# --- look-up and deletion against a small stateful fake of the client ----------------------

class FakeClient:
    """Implements the part of EsbClient the domain code uses, over an in-memory model.

    ``faults`` maps an API name to a list of callables run instead of the normal answer;
    each returns a Reply or raises, and may change the state first (to model an applied
    write whose answer was lost).
    """

    def __init__(self, existing, obj_id="bk_firewall", retries=3):
        self.instances = {i: "fw-%d" % i for i in existing}
        self.obj_id = obj_id
        self.retries = retries
        self.calls = []
        self.faults = {}
        self.warnings = []
        self.waits = []

    def call(self, api, payload, retry=True, label=None):
        self.calls.append((api, payload, retry))
        queued = self.faults.get(api)
        if queued:
            return queued.pop(0)(self, payload)
        return getattr(self, api)(payload)

    def search_inst(self, payload):
        wanted = payload["condition"][self.obj_id][0]["value"]
        rows = [{"bk_inst_id": i, "bk_inst_name": self.instances[i], "bk_obj_id": self.obj_id} for i in wanted if i in self.instances]
        page = payload["page"]
        return Reply({"count": len(rows), "info": rows[page["start"]:page["start"] + page["limit"]]}, "r-search")

    def batch_delete_inst(self, payload):
        for inst_id in payload["delete"]["inst_ids"]:
            self.instances.pop(inst_id, None)
        return Reply(None, "r-delete")

    def warn(self, message):
        self.warnings.append(message)

    def wait_before_retry(self, api, attempt, error, label=None):
        self.waits.append((api, attempt, str(error), label))

    def sent(self, api):
        return [call[1] for call in self.calls if call[0] == api]


def test_fake_client_matches_the_real_client_surface():
    for name in ("call", "warn", "wait_before_retry"):
        assert callable(getattr(EsbClient, name))


def api_error(code, message="x", status=200):
    def fault(client, payload):
        raise ApiError("batch_delete_inst", code, message, request_id="r-err", http_status=status)
    return fault


def applied_then(error):
    """The server deletes, then the answer is lost."""
    def fault(client, payload):
        client.batch_delete_inst(payload)
        raise error
    return fault


def lost(error):
    def fault(client, payload):
        raise error
    return fault


TIMEOUT = TransportError("batch_delete_inst", "batch_delete_inst: timeout", retryable=True, ambiguous=True)
GATEWAY_PAGE = ReplyError("batch_delete_inst", 504, "/api/c/compapi/v2/cc/batch_delete_inst/", "text/html", "<html>504</html>")


def test_lookup_is_chunked_by_200_and_sends_the_documented_shape():
    client = FakeClient(range(1, 451))
    found = find_existing(client, "bk_firewall", list(range(1, 501)))
    assert sorted(found) == list(range(1, 451))
    searches = client.sent("search_inst")
    assert [len(p["condition"]["bk_firewall"][0]["value"]) for p in searches] == [200, 200, 100]
    assert all(p["page"]["limit"] == 200 and p["fields"] == {"bk_firewall": ["bk_inst_id", "bk_inst_name", "bk_parent_id"]}
               for p in searches)
    assert searches[0]["condition"]["bk_firewall"][0]["operator"] == "$in"


def test_lookup_pages_while_the_server_holds_back_rows():
    client = FakeClient([1, 2, 3])

    def small_pages(fake, payload):
        reply = fake.search_inst(dict(payload, page=dict(payload["page"], limit=2)))
        return reply
    client.faults["search_inst"] = [small_pages, small_pages]
    assert sorted(find_existing(client, "bk_firewall", [1, 2, 3])) == [1, 2, 3]
    assert [p["page"]["start"] for p in client.sent("search_inst")] == [0, 2]


def test_lookup_ignores_rows_that_were_not_asked_for():
    client = FakeClient([1])
    client.faults["search_inst"] = [lambda fake, payload: Reply(
        {"count": 3, "info": [{"bk_inst_id": 1, "bk_inst_name": "a"}, {"bk_inst_id": 99, "bk_inst_name": "b"},
                              {"bk_inst_id": 1, "bk_inst_name": "a", "bk_obj_id": "bk_router"}]}, "r")]
    assert list(find_existing(client, "bk_firewall", [1])) == [1]


@pytest.mark.parametrize("data", [
    None, "success", [], {"count": 1}, {"count": 1, "info": "x"}, {"count": 1, "info": []},
    {"info": [{"bk_inst_id": 1}]}, {"count": "1", "info": [{"bk_inst_id": 1}]},
    {"count": 1, "info": [{"bk_inst_name": "a"}]}, {"count": 1, "info": [None]}, {"count": 1, "info": [{"bk_inst_id": True}]},
], ids=repr)
def test_a_lookup_success_that_cannot_be_read_is_a_failure_never_absent(data):
    client = FakeClient([1])
    client.faults["search_inst"] = [lambda fake, payload: Reply(data, "r-odd")]
    outcome = delete_instances(client, "bk_firewall", [1], 500, check_mode=False)
    assert isinstance(outcome.error, UnexpectedDataError) and "r-odd" in str(outcome.error)
    assert (outcome.absent_ids, outcome.deleted_ids, outcome.not_deleted_ids) == ([], [], [1])
    assert client.sent("batch_delete_inst") == []


def test_an_unreadable_lookup_reply_never_quotes_its_contents():
    client = FakeClient([1])
    client.faults["search_inst"] = [lambda fake, payload: Reply({"count": 1, "info": ["S3cr3t-Value-XYZ"]}, "r")]
    with pytest.raises(UnexpectedDataError) as info:
        find_existing(client, "bk_firewall", [1])
    assert "S3cr3t" not in str(info.value) and "a string" in str(info.value)


def test_ids_that_do_not_exist_make_no_delete():
    client = FakeClient([])
    outcome = delete_instances(client, "bk_firewall", [9001], 500, check_mode=False)
    assert (outcome.changed, outcome.deleted_ids, outcome.absent_ids) == (False, [], [9001])
    assert client.sent("batch_delete_inst") == []


def test_check_mode_lists_what_would_go_and_writes_nothing():
    client = FakeClient([46, 47])
    outcome = delete_instances(client, "bk_firewall", [46, 47, 48], 500, check_mode=True)
    assert (outcome.changed, outcome.deleted_ids, outcome.absent_ids) == (True, [46, 47], [48])
    assert client.sent("batch_delete_inst") == [] and sorted(client.instances) == [46, 47]


def mainline_rows(parents):
    """A search_inst answer as CMDB gives it for a custom mainline level: rows with bk_parent_id."""
    def fault(client, payload):
        wanted = payload["condition"][client.obj_id][0]["value"]
        rows = [{"bk_inst_id": i, "bk_inst_name": client.instances[i], "bk_parent_id": parents[i]}
                for i in wanted if i in client.instances and i in parents]
        rows += [{"bk_inst_id": i, "bk_inst_name": client.instances[i]} for i in wanted if i in client.instances and i not in parents]
        return Reply({"count": len(rows), "info": rows}, "r-mainline")
    return fault


@pytest.mark.parametrize("check_mode", [False, True])
def test_instances_of_a_custom_mainline_level_are_refused_before_any_write(check_mode):
    client = FakeClient([11, 12, 13], obj_id="bk_idc")
    client.faults["search_inst"] = [mainline_rows({11: 1, 12: 1})]
    outcome = delete_instances(client, "bk_idc", [11, 12, 13, 14], 500, check_mode=check_mode)
    assert isinstance(outcome.error, TopologyRefusal)
    assert "11 (fw-11), 12 (fw-12)" in str(outcome.error) and "13 (" not in str(outcome.error)
    assert (outcome.changed, outcome.deleted_ids, outcome.not_deleted_ids, outcome.absent_ids) == (False, [], [11, 12, 13], [14])
    assert client.sent("batch_delete_inst") == []


@pytest.mark.parametrize("parent", [None, "", 0])
def test_a_parent_field_only_counts_when_the_server_set_it(parent):
    # A null parent is what any projection of a missing field may give back; 0 and "" are still values.
    client = FakeClient([11])
    client.faults["search_inst"] = [lambda fake, payload: Reply(
        {"count": 1, "info": [{"bk_inst_id": 11, "bk_inst_name": "a", "bk_parent_id": parent}]}, "r")]
    outcome = delete_instances(client, "bk_firewall", [11], 500, check_mode=True)
    assert isinstance(outcome.error, TopologyRefusal) is (parent is not None)


def test_a_long_list_of_topology_instances_is_summarised():
    error = TopologyRefusal("bk_idc", [{"bk_inst_id": i, "bk_inst_name": "idc-%d" % i} for i in range(1, 16)])
    assert "10 (idc-10) and 5 more" in str(error) and "11 (idc-11)" not in str(error)
    assert error.result_fields() == {"code": None, "request_id": None, "http_status": None}


def test_1203_ids_go_in_three_batches_each_id_once():
    client = FakeClient(range(1, 1204))
    outcome = delete_instances(client, "bk_firewall", list(range(1, 1204)), 500, check_mode=False)
    deletes = [p["delete"]["inst_ids"] for p in client.sent("batch_delete_inst")]
    assert [len(d) for d in deletes] == [500, 500, 203]
    assert sum(deletes, []) == list(range(1, 1204))
    assert outcome.deleted_ids == list(range(1, 1204)) and len(client.sent("search_inst")) == 7
    assert all(call[2] is False for call in client.calls if call[0] == "batch_delete_inst")


def test_only_existing_ids_are_sent_in_request_order():
    client = FakeClient([5, 3])
    delete_instances(client, "bk_firewall", [5, 4, 3], 1, check_mode=False)
    assert [p["delete"]["inst_ids"] for p in client.sent("batch_delete_inst")] == [[5], [3]]


def test_a_failing_later_batch_stops_the_run_and_reports_progress():
    client = FakeClient(range(1, 601))
    client.faults["batch_delete_inst"] = [lambda fake, payload: fake.batch_delete_inst(payload), api_error(1101075, "instance 550 is associated")]
    outcome = delete_instances(client, "bk_firewall", list(range(1, 601)), 500, check_mode=False)
    assert outcome.changed and outcome.deleted_ids == list(range(1, 501))
    assert outcome.not_deleted_ids == list(range(501, 601)) and outcome.failed_batch == (2, 2, 100)
    assert outcome.error.code == 1101075 and len(client.sent("batch_delete_inst")) == 2


def test_ids_of_unsent_batches_are_reported_not_deleted():
    client = FakeClient(range(1, 11))
    client.faults["batch_delete_inst"] = [api_error(9900403)]
    outcome = delete_instances(client, "bk_firewall", list(range(1, 11)), 4, check_mode=False)
    assert not outcome.changed and outcome.not_deleted_ids == list(range(1, 11)) and outcome.failed_batch == (1, 3, 4)
    assert len(client.sent("batch_delete_inst")) == 1


def test_a_failed_lookup_is_a_failure_never_nothing_to_delete():
    client = FakeClient([46])

    def denied(fake, payload):
        raise ApiError("search_inst", 9900403, "no permission")
    client.faults["search_inst"] = [denied]
    outcome = delete_instances(client, "bk_firewall", [46], 500, check_mode=True)
    assert outcome.error.code == 9900403 and outcome.failed_batch is None and outcome.not_deleted_ids == [46]
    assert client.sent("batch_delete_inst") == []


@pytest.mark.parametrize("error", [TIMEOUT, GATEWAY_PAGE, ApiError("batch_delete_inst", 1306201, "upstream", http_status=200)])
def test_an_applied_delete_whose_answer_was_lost_is_confirmed_by_a_lookup(error):
    client = FakeClient([46, 47])
    client.faults["batch_delete_inst"] = [applied_then(error)]
    outcome = delete_instances(client, "bk_firewall", [46, 47], 500, check_mode=False)
    assert outcome.error is None and outcome.deleted_ids == [46, 47]
    assert len(client.sent("batch_delete_inst")) == 1 and len(client.sent("search_inst")) == 2
    assert client.warnings and "gone" in client.warnings[0]


def test_rows_repeated_across_pages_are_a_failure_never_absent():
    client = FakeClient([1, 2, 3, 4])

    def same_two_rows(fake, payload):
        return Reply({"count": 4, "info": [{"bk_inst_id": 1, "bk_inst_name": "a"}, {"bk_inst_id": 2, "bk_inst_name": "b"}]}, "r-dup")
    client.faults["search_inst"] = [same_two_rows, same_two_rows]
    outcome = delete_instances(client, "bk_firewall", [1, 2, 3, 4], 500, check_mode=True)
    assert isinstance(outcome.error, UnexpectedDataError) and "4 matches and sent 2 distinct" in str(outcome.error)
    assert (outcome.absent_ids, outcome.deleted_ids, outcome.not_deleted_ids) == ([], [], [1, 2, 3, 4])


@pytest.mark.parametrize("code, settled", [
    (1306000, True), (1199998, True), (1199036, True), (1234567, True),
    (9900403, False), (1101075, False), (1101001, False), (1306403, False),
])
def test_a_delete_failure_that_may_follow_a_completed_delete_is_settled_by_a_lookup(code, settled):
    client = FakeClient([46, 47])
    client.faults["batch_delete_inst"] = [applied_then(ApiError("batch_delete_inst", code, "x")) if settled else api_error(code)]
    outcome = delete_instances(client, "bk_firewall", [46, 47], 500, check_mode=False)
    assert len(client.sent("search_inst")) == (2 if settled else 1)
    if settled:
        assert outcome.error is None and outcome.deleted_ids == [46, 47] and outcome.changed
    else:
        assert outcome.error.code == code and outcome.not_deleted_ids == [46, 47] and not outcome.changed


def test_ids_whose_fate_is_unknown_count_as_a_possible_change():
    client = FakeClient([46, 47])
    client.faults["batch_delete_inst"] = [applied_then(TIMEOUT)]
    client.faults["search_inst"] = [lambda fake, payload: fake.search_inst(payload), lost(ApiError("search_inst", 1199046, "iam"))]
    outcome = delete_instances(client, "bk_firewall", [46, 47], 500, check_mode=False)
    assert (outcome.deleted_ids, outcome.unconfirmed_ids, outcome.changed) == ([], [46, 47], True)


THROTTLED = ApiError("batch_delete_inst", 1199997, "too many requests", http_status=200)


@pytest.mark.parametrize("pattern", [
    [THROTTLED] * 10,
    [TIMEOUT] * 10,
    [THROTTLED, THROTTLED, THROTTLED, GATEWAY_PAGE] * 3,
    [GATEWAY_PAGE, THROTTLED] * 5,
], ids=["throttled", "timeouts", "429-429-429-504", "alternating"])
def test_a_batch_is_sent_at_most_retries_plus_one_times_whatever_the_errors(pattern):
    client = FakeClient([46, 47], retries=3)
    client.faults["batch_delete_inst"] = [lost(error) for error in pattern]
    outcome = delete_instances(client, "bk_firewall", [46, 47], 500, check_mode=False)
    assert len(client.sent("batch_delete_inst")) == 4
    assert outcome.error is not None and outcome.not_deleted_ids == [46, 47] and outcome.deleted_ids == []
    # One wait per re-send, each labelled with its batch and numbered within the one budget.
    assert [(wait[1], wait[3]) for wait in client.waits] == [(1, "batch 1 of 1"), (2, "batch 1 of 1"), (3, "batch 1 of 1")]


def test_a_lost_delete_that_was_not_applied_is_sent_again_for_the_remaining_ids():
    client = FakeClient([46, 47])
    client.faults["batch_delete_inst"] = [lost(TIMEOUT)]
    outcome = delete_instances(client, "bk_firewall", [46, 47], 500, check_mode=False)
    assert outcome.error is None and outcome.deleted_ids == [46, 47]
    assert [p["delete"]["inst_ids"] for p in client.sent("batch_delete_inst")] == [[46, 47], [46, 47]]
    assert client.waits == [("batch_delete_inst", 1, "batch_delete_inst: timeout", "batch 1 of 1")]


def test_partly_applied_then_still_failing_reports_each_id_where_it_is():
    client = FakeClient([46, 47])

    def half_applied(fake, payload):
        fake.instances.pop(46)
        raise TIMEOUT
    client.retries = 1
    client.faults["batch_delete_inst"] = [half_applied, lost(TIMEOUT)]
    outcome = delete_instances(client, "bk_firewall", [46, 47], 500, check_mode=False)
    assert outcome.deleted_ids == [46] and outcome.not_deleted_ids == [47] and outcome.changed
    assert [p["delete"]["inst_ids"] for p in client.sent("batch_delete_inst")] == [[46, 47], [47]]


def test_an_unretryable_ambiguous_failure_is_reconciled_not_resent():
    client = FakeClient([46])
    client.faults["batch_delete_inst"] = [lost(ApiError("batch_delete_inst", 1199999, "internal server error", http_status=500))]
    outcome = delete_instances(client, "bk_firewall", [46], 500, check_mode=False)
    assert outcome.not_deleted_ids == [46] and outcome.error.http_status == 500
    assert len(client.sent("batch_delete_inst")) == 1 and len(client.sent("search_inst")) == 2


def test_when_the_recheck_fails_too_the_ids_are_unconfirmed():
    client = FakeClient([46, 47, 48])

    def search_fails(fake, payload):
        raise TransportError("search_inst", "search_inst: cannot connect", retryable=True, ambiguous=False)
    client.faults["batch_delete_inst"] = [lambda fake, payload: fake.batch_delete_inst(payload), lost(TIMEOUT)]
    client.faults["search_inst"] = [lambda fake, payload: fake.search_inst(payload), search_fails]
    outcome = delete_instances(client, "bk_firewall", [46, 47, 48], 2, check_mode=False)
    assert outcome.deleted_ids == [46, 47] and outcome.unconfirmed_ids == [48] and outcome.not_deleted_ids == []
