# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the server answers, and what the module makes of it.

Field cases F06 (a later batch fails), F12 (old error envelope), F13 (HTML and plain-text
bodies), F15 (rate limiting), F22 (success shapes, errors inside HTTP 200 and 500), the
reconciliation of deletes whose answer was lost or unreadable, Chinese server messages and
BlueKing API gateway errors.
"""

import re

import pytest

from cmdb_helpers import (ArrivalClock, DEFAULT_OBJ, add_devices, calls, delete_batches, deleted_them_all, failed_without_change, ids_of,
                          looked_up_ids, succeeded, writes)

DELETE_PATH = "/api/c/compapi/v2/cc/batch_delete_inst/"
LOOKUP_PATH = "/api/c/compapi/v2/cc/search_inst/"
PATHS = {"batch_delete_inst": DELETE_PATH, "search_inst": LOOKUP_PATH}


def still_there(sim, ids):
    return set(ids) <= set(sim.instance_ids(DEFAULT_OBJ))


def all_gone(sim, ids):
    return not set(ids) & set(sim.instance_ids(DEFAULT_OBJ))


def retry_warnings(result):
    return [warning for warning in result.get("warnings", []) if "retry" in warning.lower()]


# --- F06: a later batch fails after earlier ones were deleted ------------------------------------

def test_f06_association_blocks_the_second_batch_and_the_first_stays_reported(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 600)
    ids = ids_of(devices)
    switch = add_devices(cmdb_sim, 1, obj_id="bk_switch")[0]
    # Instance 550 of the request is linked to a switch that stays: the server answers 1101075.
    cmdb_sim.add_association(DEFAULT_OBJ, ids[549], "bk_switch", switch["bk_inst_id"])
    run = bk_cc_instance(cmdb_sim, ids, batch_size=500)
    result = run.result

    assert result.get("failed") is True, run.describe()
    assert result["changed"] is True
    assert result["deleted"] == ids[:500]
    assert result["instances"] == devices[:500]
    assert sorted(result["not_deleted"]) == sorted(ids[500:])
    assert result["code"] == 1101075
    assert "batch 2 of 2" in result["msg"]
    assert "1101075" in result["msg"]
    # The failing delete is the last logged request and every request was answered with a
    # fresh request id, so the last id the run collected is the failing reply's.
    assert cmdb_sim.requests()[-1]["api"] == "batch_delete_inst"
    assert len(result["request_ids"]) == len(cmdb_sim.requests())
    assert re.fullmatch(r"[0-9a-f]{32}", result["request_id"]), result["request_id"]
    assert result["request_id"] == result["request_ids"][-1]
    assert "request_id: %s" % result["request_id"] in result["msg"]
    assert [len(batch) for batch in delete_batches(cmdb_sim)] == [500, 100]
    assert all_gone(cmdb_sim, ids[:500])
    assert still_there(cmdb_sim, ids[500:])


@pytest.mark.parametrize("code,message", [
    (1101075, "instance 550 is associated"),
    (9900403, "no permission"),
    (1101001, "delete failed"),
])
def test_f06_failed_middle_batch_stops_the_run_and_names_the_batch(cmdb_sim, bk_cc_instance, code, message):
    devices = add_devices(cmdb_sim, 6)
    ids = ids_of(devices)
    # The first delete is handled normally, the second is refused; a third must never be sent.
    request_id = "f06-req-%d" % code
    cmdb_sim.queue_faults("batch_delete_inst", [
        {"delay": 0}, {"envelope": {"result": False, "code": code, "message": message, "request_id": request_id}}])
    run = bk_cc_instance(cmdb_sim, ids, batch_size=2)
    result = run.result

    assert result.get("failed") is True, run.describe()
    assert result["changed"] is True
    assert result["deleted"] == ids[:2]
    assert sorted(result["not_deleted"]) == sorted(ids[2:])
    assert result["code"] == code
    # The failing (second) delete's reply carried this request id: it is the one reported,
    # in the result and in msg, and it is the last answer of the run.
    assert result["request_id"] == request_id
    assert result["request_ids"][-1] == request_id
    assert "request_id: %s" % request_id in result["msg"]
    assert "batch 2 of 3" in result["msg"]
    assert str(code) in result["msg"]
    assert message in result["msg"]
    assert delete_batches(cmdb_sim) == [ids[:2], ids[2:4]]
    assert [entry["status"] for entry in calls(cmdb_sim, "batch_delete_inst")] == [200, 200]
    assert all_gone(cmdb_sim, ids[:2])
    assert still_there(cmdb_sim, ids[2:])


# --- F12: the raw CMDB envelope (bk_error_code / bk_error_msg) -----------------------------------

@pytest.mark.parametrize("api", ["batch_delete_inst", "search_inst"])
def test_f12_old_style_error_envelope_is_understood(cmdb_sim, bk_cc_instance, api):
    devices = add_devices(cmdb_sim, 1)
    cmdb_sim.queue_faults(api, [{"status": 200, "body": {
        "result": False, "bk_error_code": 1199036, "bk_error_msg": "proxy request failed", "data": None}}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices))
    result = failed_without_change(run)

    assert result["code"] == 1199036
    assert "proxy request failed" in result["msg"]
    assert "1199036" in result["msg"]
    assert still_there(cmdb_sim, ids_of(devices))


@pytest.mark.parametrize("api", ["batch_delete_inst", "search_inst"])
def test_f12_failure_without_any_error_code_says_so(cmdb_sim, bk_cc_instance, api):
    devices = add_devices(cmdb_sim, 1)
    cmdb_sim.queue_faults(api, [{"status": 200, "body": {"result": False}}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices))
    result = failed_without_change(run)

    assert result["code"] is None
    assert re.search(r"no (error )?code", result["msg"]), result["msg"]
    assert still_there(cmdb_sim, ids_of(devices))


def test_f12_old_style_success_envelope_is_understood(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    rows = [{key: device[key] for key in ("bk_inst_id", "bk_inst_name")} for device in devices]
    cmdb_sim.queue_faults("search_inst", [{"status": 200, "body": {
        "result": True, "bk_error_code": 0, "bk_error_msg": "success", "permission": None, "data": {"count": 2, "info": rows}}}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices))

    assert succeeded(run.result), run.describe()
    assert run.result["deleted"] == ids_of(devices)
    assert run.result["instances"] == devices


# --- F13: HTML or plain text instead of JSON -------------------------------------------------------

@pytest.mark.parametrize("api", ["search_inst", "batch_delete_inst"])
@pytest.mark.parametrize("status,content_type,body,excerpt", [
    (404, "text/html", "<html><body><h1>404 Not Found</h1></body></html>", "404 Not Found"),
    (405, "text/plain", "405: Method Not Allowed", "405: Method Not Allowed"),
    (200, "text/html", "<html><head><title>Login | BlueKing</title></head></html>", "Login | BlueKing"),
], ids=["404-html", "405-text", "200-login-page"])
def test_f13_non_json_reply_fails_with_status_path_and_body_excerpt(cmdb_sim, bk_cc_instance, api, status, content_type, body, excerpt):
    devices = add_devices(cmdb_sim, 1)
    # Every attempt gets the page, as behind a misconfigured gateway.
    cmdb_sim.queue_faults(api, [{"status": status, "content_type": content_type, "body": body, "repeat": 10}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices))
    result = failed_without_change(run)

    assert str(status) in result["msg"]
    assert PATHS[api] in result["msg"]
    assert excerpt in result["msg"]
    assert result["deleted"] == []
    assert still_there(cmdb_sim, ids_of(devices))


def test_f13_wrong_base_path_reports_the_404_page(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, ids_of(devices), bk_paas_host=cmdb_sim.url + "/wrong")
    result = failed_without_change(run)

    assert "404" in result["msg"]
    assert "/wrong" + LOOKUP_PATH in result["msg"]
    assert "404 Not Found" in result["msg"]


def test_f13_long_error_page_is_cut_to_a_short_excerpt(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 1)
    cmdb_sim.queue_faults("search_inst", [{"status": 404, "content_type": "text/html", "body": "<html>" + "Z" * 20000 + "</html>", "repeat": 10}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices))
    result = failed_without_change(run)

    # "a short (<= ~500 chars) piece of the body": some of it, never the page.
    assert 50 <= result["msg"].count("Z") <= 600
    assert len(run.stdout) < 20000


# --- F15: rate limiting ------------------------------------------------------------------------------

THROTTLE_429 = {"status": 429, "headers": {"Retry-After": "1"},
                "body": {"result": False, "code": 1642901, "code_name": "RATE_LIMIT_RESTRICTION", "message": "rate limit", "data": None}}
THROTTLE_1199997 = {"envelope": {"result": False, "code": 1199997, "message": "too many requests"}}
THROTTLE_1306429 = {"envelope": {"result": False, "code": 1306429, "message": "Request rate limit exceeded"}}


def test_f15_throttled_delete_is_retried_after_retry_after_and_succeeds(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 1)
    cmdb_sim.queue_faults("batch_delete_inst", [THROTTLE_429, THROTTLE_1199997])
    with ArrivalClock(cmdb_sim) as clock:
        run = bk_cc_instance(cmdb_sim, ids_of(devices))
    result = run.result

    assert succeeded(result), run.describe()
    assert result["changed"] is True
    assert result["deleted"] == ids_of(devices)
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 3
    # Retry-After: 1 is honoured although retry_delay is 0.05 s: the module waits
    # max(backoff, Retry-After) = 1 s. The clock polls every 10 ms, so a gap can read at most
    # one poll short; 0.97 leaves that and a little scheduling noise. Ignoring the header
    # would give a gap of about 0.05 s.
    assert clock.gaps("batch_delete_inst")[0] >= 0.97
    assert len(retry_warnings(result)) == 2, result.get("warnings")
    assert all_gone(cmdb_sim, ids_of(devices))


@pytest.mark.parametrize("fault,retries,needle", [
    (THROTTLE_1306429, None, "1306429"),
    (THROTTLE_1199997, 0, "1199997"),
    (dict(THROTTLE_429, headers={"Retry-After": "0"}), 2, "429"),
], ids=["1306429-default-retries", "1199997-retries-0", "429-retries-2"])
def test_f15_endless_throttling_stops_after_the_configured_retries(cmdb_sim, bk_cc_instance, fault, retries, needle):
    devices = add_devices(cmdb_sim, 1)
    cmdb_sim.queue_faults("batch_delete_inst", [dict(fault, repeat=20)])
    options = {} if retries is None else {"retries": retries}
    run = bk_cc_instance(cmdb_sim, ids_of(devices), **options)
    result = failed_without_change(run)

    expected_retries = 3 if retries is None else retries
    assert len(calls(cmdb_sim, "batch_delete_inst")) == expected_retries + 1
    assert needle in result["msg"]
    assert len(retry_warnings(result)) == expected_retries
    assert still_there(cmdb_sim, ids_of(devices))


@pytest.mark.parametrize("fault", [
    THROTTLE_429,
    THROTTLE_1306429,
    {"status": 503, "content_type": "text/html", "body": "<html>503 Service Unavailable</html>"},
    {"drop": True},
], ids=["429", "1306429", "503", "dropped"])
def test_f15_transient_lookup_failures_are_retried(cmdb_sim, bk_cc_instance, fault):
    devices = add_devices(cmdb_sim, 1)
    cmdb_sim.queue_faults("search_inst", [dict(fault, headers={"Retry-After": "0"}) if "headers" in fault else fault])
    run = bk_cc_instance(cmdb_sim, ids_of(devices))

    assert succeeded(run.result), run.describe()
    assert run.result["deleted"] == ids_of(devices)
    assert len(calls(cmdb_sim, "search_inst")) == 2
    assert len(retry_warnings(run.result)) == 1


@pytest.mark.parametrize("code", [1101075, 9900403, 1199000, 1306406])
def test_f15_definite_errors_are_not_retried(cmdb_sim, bk_cc_instance, code):
    devices = add_devices(cmdb_sim, 1)
    cmdb_sim.queue_faults("batch_delete_inst", [{"envelope": {"result": False, "code": code, "message": "refused"}, "repeat": 5}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices))
    result = failed_without_change(run)

    assert len(calls(cmdb_sim, "batch_delete_inst")) == 1
    assert result["code"] == code
    assert retry_warnings(result) == []


# --- F22: success shapes; errors inside 200 and 500 ------------------------------------------------

@pytest.mark.parametrize("reply", [
    {"result": True, "code": 0, "message": "success", "permission": None, "request_id": "r-1", "data": None},
    {"result": True, "code": 0, "message": "success", "permission": None, "request_id": "r-1", "data": "success"},
    {"result": True, "code": 0},
], ids=["data-null", "data-success", "bare"])
def test_f22_every_success_shape_counts_as_deleted(cmdb_sim, bk_cc_instance, reply):
    devices = add_devices(cmdb_sim, 2)
    cmdb_sim.queue_faults("batch_delete_inst", [{"status": 200, "body": reply, "apply": True}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices))
    result = run.result

    assert succeeded(result), run.describe()
    assert result["changed"] is True
    assert result["deleted"] == ids_of(devices)
    if "request_id" in reply:
        assert "r-1" in result["request_ids"]
    assert all_gone(cmdb_sim, ids_of(devices))


@pytest.mark.parametrize("api", ["batch_delete_inst", "search_inst"])
@pytest.mark.parametrize("status,body,needles", [
    (200, {"result": False, "code": 1101001, "message": "delete failed", "request_id": "r-c"}, ["1101001", "delete failed"]),
    (500, {"result": False, "code": 1199999, "message": "internal server error", "request_id": "r-d"}, ["500", "1199999", "internal server error"]),
], ids=["200-result-false", "500-json"])
def test_f22_error_envelopes_fail_with_code_message_and_request_id(cmdb_sim, bk_cc_instance, api, status, body, needles):
    devices = add_devices(cmdb_sim, 1)
    cmdb_sim.queue_faults(api, [{"status": status, "body": body, "repeat": 10}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices))
    result = failed_without_change(run)

    # What a support ticket needs: the API, the code, the server's message and the request id.
    for needle in needles + [api, body["request_id"]]:
        assert needle in result["msg"]
    assert result["code"] == body["code"]
    assert result["request_id"] == body["request_id"]
    assert result["deleted"] == []
    assert still_there(cmdb_sim, ids_of(devices))


# --- deletes without a clear answer are settled by a new look-up ------------------------------------

@pytest.mark.parametrize("fault,delete_requests", [
    ({"drop": True, "apply": True}, 1),
    ({"drop": True}, 2),
    ({"status": 502, "content_type": "text/html", "body": "<html>502 Bad Gateway</html>", "apply": True}, 1),
    ({"status": 504, "content_type": "text/html", "body": "<html>504 Gateway Time-out</html>"}, 2),
    ({"envelope": {"result": False, "code": 1306201, "message": "Request third-party system error"}, "apply": True}, 1),
    ({"envelope": {"result": False, "code": 1306201, "message": "Request third-party system error"}}, 2),
    ({"status": 200, "content_type": "text/html", "body": "<html>gateway says hi</html>", "apply": True}, 1),
    # JSON that is neither a success nor a failure envelope says nothing about what happened.
    ({"status": 200, "body": {}, "apply": True}, 1),
    ({"status": 200, "body": {"result": "true", "code": 0}, "apply": True}, 1),
    # Half a success envelope (no code, or no result) is not trusted either: the state is read back.
    ({"status": 200, "body": {"result": True, "message": "success"}, "apply": True}, 1),
    ({"status": 200, "body": {"code": 0, "message": "success"}, "apply": True}, 1),
], ids=["dropped-applied", "dropped-not-applied", "502-applied", "504-not-applied", "1306201-applied", "1306201-not-applied",
        "200-html-applied", "200-empty-json-applied", "200-string-result-applied", "200-result-without-code-applied",
        "200-code-without-result-applied"])
def test_ambiguous_delete_is_settled_by_a_new_lookup(cmdb_sim, bk_cc_instance, fault, delete_requests):
    devices = add_devices(cmdb_sim, 3)
    ids = ids_of(devices)
    cmdb_sim.queue_faults("batch_delete_inst", [fault])
    run = bk_cc_instance(cmdb_sim, ids)
    deleted_them_all(run, devices)
    assert len(calls(cmdb_sim, "batch_delete_inst")) == delete_requests
    first_delete = calls(cmdb_sim, "batch_delete_inst")[0]["seq"]
    assert any(entry["seq"] > first_delete for entry in calls(cmdb_sim, "search_inst")), "no look-up after the unanswered delete"
    assert all_gone(cmdb_sim, ids)


def test_ambiguous_delete_without_retries_reports_what_is_still_there(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 3)
    ids = ids_of(devices)
    cmdb_sim.queue_faults("batch_delete_inst", [{"drop": True}])
    run = bk_cc_instance(cmdb_sim, ids, retries=0)
    result = failed_without_change(run)

    assert result["deleted"] == []
    assert sorted(result["not_deleted"]) == sorted(ids)
    assert "batch_delete_inst" in result["msg"]
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 1
    assert still_there(cmdb_sim, ids)


@pytest.mark.parametrize("body", [{"result": True, "message": "success"}, {"result": True, "code": None},
                                  {"bk_error_code": 0, "bk_error_msg": "success"}],
                         ids=["no-code", "null-code", "no-result"])
def test_half_a_success_envelope_that_deleted_nothing_is_not_reported_as_deleted(cmdb_sim, bk_cc_instance, body):
    devices = add_devices(cmdb_sim, 2)
    ids = ids_of(devices)
    cmdb_sim.queue_faults("batch_delete_inst", [{"status": 200, "body": body}])
    run = bk_cc_instance(cmdb_sim, ids)
    result = failed_without_change(run)

    assert result["deleted"] == [] and sorted(result["not_deleted"]) == sorted(ids)
    assert "neither a success nor a failure" in result["msg"]
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 1
    assert still_there(cmdb_sim, ids)


@pytest.mark.parametrize("data", [None, "success", {"count": 1, "info": []}, {"count": 1}, {"count": 1, "info": [{"bk_inst_name": "x"}]}],
                         ids=["null", "string", "count-without-rows", "no-info", "row-without-id"])
@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_a_lookup_success_that_cannot_be_read_fails_instead_of_calling_ids_absent(cmdb_sim, bk_cc_instance, data, check):
    devices = add_devices(cmdb_sim, 1)
    cmdb_sim.queue_faults("search_inst", [{"envelope": {"result": True, "code": 0, "message": "success", "request_id": "r-odd",
                                                        "data": data}}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices), check=check)
    result = failed_without_change(run)

    assert "search_inst answered success" in result["msg"] and "r-odd" in result["msg"]
    assert result["absent"] == [] and result["not_deleted"] == ids_of(devices)
    assert writes(cmdb_sim) == []
    assert still_there(cmdb_sim, ids_of(devices))


@pytest.mark.parametrize("api", ["search_inst", "batch_delete_inst"])
@pytest.mark.parametrize("status", [302, 307])
def test_a_redirect_is_reported_and_never_followed_with_the_credentials(cmdb_sim, bk_cc_instance, api, status):
    devices = add_devices(cmdb_sim, 1)
    # A Location on the simulator itself: had the module followed it, the log would show a second request.
    target = cmdb_sim.url + "/api/c/compapi/v2/cc/%s/" % api
    cmdb_sim.queue_faults(api, [{"status": status, "headers": {"Location": target}, "body": ""}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices))
    result = failed_without_change(run)

    assert "HTTP %d" % status in result["msg"] and "redirect to %s" % target in result["msg"]
    assert len(calls(cmdb_sim, api)) == 1
    assert result["not_deleted"] == ids_of(devices)
    assert still_there(cmdb_sim, ids_of(devices))


def test_dropped_middle_batch_without_retries_reports_each_id_by_what_exists_afterwards(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 6)
    ids = ids_of(devices)
    # Batch 1 is deleted normally; batch 2's connection is dropped before the server does anything.
    cmdb_sim.queue_faults("batch_delete_inst", [{"delay": 0}, {"drop": True}])
    run = bk_cc_instance(cmdb_sim, ids, batch_size=2, retries=0)
    result = run.result

    assert result.get("failed") is True, run.describe()
    assert result["changed"] is True
    assert result["deleted"] == ids[:2]
    assert result["instances"] == devices[:2]
    assert "batch 2 of 3" in result["msg"] and "batch_delete_inst" in result["msg"]
    # The drop did not apply, so the re-check finds batch 2 still there; batch 3 was never sent.
    assert sorted(result["not_deleted"]) == sorted(ids[2:])
    assert result["unconfirmed"] == []
    # Each id is reported by what really exists on the server now, and exactly once.
    remaining = set(cmdb_sim.instance_ids(DEFAULT_OBJ))
    assert sorted(result["deleted"]) == sorted(i for i in ids if i not in remaining)
    assert sorted(result["not_deleted"]) == sorted(i for i in ids if i in remaining)
    reported = result["deleted"] + result["not_deleted"] + result["unconfirmed"]
    assert sorted(reported) == sorted(ids)
    # The log: batch 1 answered, batch 2 dropped (status None), no third delete, and a look-up
    # of batch 2 after the dropped request.
    assert delete_batches(cmdb_sim) == [ids[:2], ids[2:4]]
    assert [entry["status"] for entry in calls(cmdb_sim, "batch_delete_inst")] == [200, None]
    dropped = calls(cmdb_sim, "batch_delete_inst")[1]["seq"]
    rechecks = [entry for entry in calls(cmdb_sim, "search_inst") if entry["seq"] > dropped]
    assert [sorted(looked_up_ids(entry)) for entry in rechecks] == [sorted(ids[2:4])]
    assert all_gone(cmdb_sim, ids[:2])
    assert still_there(cmdb_sim, ids[2:])


# --- Chinese server messages reach msg unchanged -------------------------------------------------------

CHINESE_MESSAGE = "实例存在关联关系，不能删除"


def test_chinese_server_message_reaches_msg_unchanged(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    ids = ids_of(devices)
    cmdb_sim.queue_faults("batch_delete_inst", [{"envelope": {"result": False, "code": 1101075, "message": CHINESE_MESSAGE}}])
    run = bk_cc_instance(cmdb_sim, ids)
    result = failed_without_change(run)

    assert CHINESE_MESSAGE in result["msg"], result["msg"]
    assert "message: %s" % CHINESE_MESSAGE in result["msg"]
    assert result["code"] == 1101075
    assert result["deleted"] == [] and sorted(result["not_deleted"]) == sorted(ids)
    # A definite refusal: one delete, not retried.
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 1
    assert calls(cmdb_sim, "batch_delete_inst")[0]["status"] == 200
    assert still_there(cmdb_sim, ids)


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "text/html"], ids=["charset-utf-8", "no-charset"])
def test_chinese_error_page_reaches_msg_unchanged(cmdb_sim, bk_cc_instance, content_type):
    devices = add_devices(cmdb_sim, 2)
    ids = ids_of(devices)
    page = "<html><body><h1>502 网关错误</h1><p>上游服务暂时不可用，请稍后重试</p></body></html>"
    cmdb_sim.queue_faults("batch_delete_inst", [{"status": 502, "content_type": content_type, "body": page}])
    run = bk_cc_instance(cmdb_sim, ids, retries=0)
    result = failed_without_change(run)

    # The simulator sends the page as UTF-8; without a charset the module still reads UTF-8.
    assert "502 网关错误" in result["msg"], result["msg"]
    assert "上游服务暂时不可用，请稍后重试" in result["msg"], result["msg"]
    assert result["http_status"] == 502
    assert result["deleted"] == [] and sorted(result["not_deleted"]) == sorted(ids)
    # retries: 0: one delete; the 502 may hide an applied delete, so the ids are looked up again.
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 1
    assert calls(cmdb_sim, "batch_delete_inst")[0]["status"] == 502
    first_delete = calls(cmdb_sim, "batch_delete_inst")[0]["seq"]
    assert any(entry["seq"] > first_delete for entry in calls(cmdb_sim, "search_inst")), "no look-up after the 502"
    assert still_there(cmdb_sim, ids)


# --- BlueKing API gateway errors -----------------------------------------------------------------------

GATEWAY_MESSAGE = "bk_app_code or bk_app_secret is incorrect"
GATEWAY_HEADERS = {"X-Bkapi-Error-Code": "1640101", "X-Bkapi-Error-Message": GATEWAY_MESSAGE, "X-Bkapi-Request-Id": "gw-req-1"}


def test_gateway_auth_error_with_json_body_is_reported_and_not_retried(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    ids = ids_of(devices)
    cmdb_sim.queue_faults("batch_delete_inst", [{
        "status": 401, "headers": GATEWAY_HEADERS, "repeat": 5,
        "body": {"code": 1640101, "code_name": "APP_VERIFY_FAILED", "message": GATEWAY_MESSAGE, "result": False, "data": None}}])
    run = bk_cc_instance(cmdb_sim, ids)
    result = failed_without_change(run)

    assert result["code"] == 1640101
    assert result["http_status"] == 401
    assert result["request_id"] == "gw-req-1"
    for needle in (GATEWAY_MESSAGE, "APP_VERIFY_FAILED", "gw-req-1", "1640101"):
        assert needle in result["msg"], result["msg"]
    assert result["deleted"] == [] and sorted(result["not_deleted"]) == sorted(ids)
    # A definite refusal: exactly one delete, no retry, no look-up after it.
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 1
    assert calls(cmdb_sim, "batch_delete_inst")[0]["status"] == 401
    assert len(calls(cmdb_sim, "search_inst")) == 1
    assert retry_warnings(result) == []
    assert still_there(cmdb_sim, ids)


def test_gateway_auth_error_with_empty_body_is_read_from_the_headers(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    ids = ids_of(devices)
    cmdb_sim.queue_faults("batch_delete_inst", [{
        "status": 401, "headers": GATEWAY_HEADERS, "content_type": "text/plain", "body": "", "repeat": 5}])
    run = bk_cc_instance(cmdb_sim, ids)
    result = failed_without_change(run)

    assert result["code"] == 1640101, result["msg"]
    assert result["http_status"] == 401
    assert GATEWAY_MESSAGE in result["msg"], result["msg"]
    assert "gw-req-1" in result["msg"], result["msg"]
    assert result["deleted"] == [] and sorted(result["not_deleted"]) == sorted(ids)
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 1
    assert calls(cmdb_sim, "batch_delete_inst")[0]["status"] == 401
    assert still_there(cmdb_sim, ids)


def test_gateway_rate_limit_is_retried_once_and_succeeds(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    ids = ids_of(devices)
    cmdb_sim.queue_faults("batch_delete_inst", [{
        "status": 429,
        "headers": {"Retry-After": "0", "X-Bkapi-Error-Code": "1642901", "X-Bkapi-Error-Message": "rate limit exceeded",
                    "X-Bkapi-Request-Id": "gw-req-429"},
        "body": {"code": 1642901, "code_name": "RATE_LIMIT_RESTRICTION", "message": "rate limit exceeded", "result": False,
                 "data": None}}])
    run = bk_cc_instance(cmdb_sim, ids)
    result = deleted_them_all(run, devices)

    assert "gw-req-429" in result["request_ids"]
    assert len(retry_warnings(result)) == 1, result.get("warnings")
    # Throttling is answered before any work: the same batch is sent again, without a look-up between.
    assert delete_batches(cmdb_sim) == [ids, ids]
    assert [entry["status"] for entry in calls(cmdb_sim, "batch_delete_inst")] == [429, 200]
    assert len(calls(cmdb_sim, "search_inst")) == 1
    assert all_gone(cmdb_sim, ids)


# --- answers that may follow a completed delete, and look-ups that cannot be read --------------

@pytest.mark.parametrize("envelope", [
    {"result": False, "code": 1306000, "message": "Request interface error, the response content is not a json string: <html>504</html>"},
    {"result": False, "bk_error_code": 1199998, "bk_error_msg": "proxy request failed"},
], ids=["esb-wrapped-non-json", "cmdb-proxy-failure"])
def test_a_failure_that_may_follow_a_completed_delete_is_settled_by_a_lookup(cmdb_sim, bk_cc_instance, envelope):
    # ESB wraps an unreadable CMDB answer as 1306000, CMDB's proxy failures come as 1199998:
    # neither says whether the delete ran. Here it did; the look-up afterwards shows it.
    devices = add_devices(cmdb_sim, 3)
    cmdb_sim.queue_faults("batch_delete_inst", [{"apply": True, "envelope": envelope}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices), retries=0)
    deleted_them_all(run, devices)
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 1
    assert len(calls(cmdb_sim, "search_inst")) == 2
    assert all_gone(cmdb_sim, ids_of(devices))


def test_a_failure_that_may_follow_a_delete_but_did_not_reports_the_ids_not_deleted(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    cmdb_sim.queue_faults("batch_delete_inst", [{"envelope": {"result": False, "code": 1199998, "message": "proxy request failed"}}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices), retries=0)
    result = failed_without_change(run)

    assert (result["code"], result["deleted"], result["not_deleted"]) == (1199998, [], ids_of(devices))
    assert "proxy request failed" in result["msg"]
    assert len(calls(cmdb_sim, "search_inst")) == 2
    assert still_there(cmdb_sim, ids_of(devices))


@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_rows_repeated_across_lookup_pages_fail_instead_of_reporting_absent(cmdb_sim, bk_cc_instance, check):
    devices = add_devices(cmdb_sim, 4)
    rows = [{"bk_inst_id": device["bk_inst_id"], "bk_inst_name": device["bk_inst_name"]} for device in devices[:2]]
    page = {"envelope": {"result": True, "code": 0, "message": "success", "data": {"count": 4, "info": rows}}}
    cmdb_sim.queue_faults("search_inst", [page, page])
    run = bk_cc_instance(cmdb_sim, ids_of(devices), check=check)
    result = failed_without_change(run)

    assert "4 matches and sent 2 distinct" in result["msg"]
    assert (result["deleted"], result["absent"], result["not_deleted"]) == ([], [], ids_of(devices))
    assert writes(cmdb_sim) == []
    assert still_there(cmdb_sim, ids_of(devices))
