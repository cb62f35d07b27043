# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection: canned replies, envelopes, drops, delays, apply, repeat, FIFO."""

from __future__ import annotations

import threading
import time

import pytest
import requests

DELETE = "batch_delete_inst"


def delete_body(ids):
    return {"bk_obj_id": "bk_firewall", "delete": {"inst_ids": ids}}


def test_html_page(cmdb_sim, esb, firewalls):
    page = "<html><body><h1>404 Not Found</h1></body></html>"
    cmdb_sim.queue_faults(DELETE, [{"status": 404, "body": page, "content_type": "text/html"}])
    reply = esb.post(DELETE, dict(esb.auth, **delete_body(firewalls)))
    assert (reply.status_code, reply.headers["Content-Type"], reply.text) == (404, "text/html", page)
    # Without apply, a canned reply changes nothing.
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls
    assert cmdb_sim.requests(DELETE)[-1]["status"] == 404


def test_plain_text_default_content_type(cmdb_sim, esb):
    cmdb_sim.queue_faults(DELETE, [{"status": 405, "body": "405: Method Not Allowed"}])
    reply = esb.post(DELETE, dict(esb.auth, **delete_body([1])))
    assert (reply.status_code, reply.headers["Content-Type"], reply.text) == (405, "text/plain", "405: Method Not Allowed")


def test_old_envelope_as_json_body(cmdb_sim, esb):
    body = {"result": False, "bk_error_code": 1199036, "bk_error_msg": "proxy request failed", "data": None}
    cmdb_sim.queue_faults(DELETE, [{"body": body}])
    reply = esb.post(DELETE, dict(esb.auth, **delete_body([1])))
    assert (reply.status_code, reply.headers["Content-Type"], reply.json()) == (200, "application/json", body)


def test_gateway_error_with_headers(cmdb_sim, esb):
    body = {"code": 1642901, "code_name": "RATE_LIMIT_RESTRICTION", "message": "Request rejected by rate limit", "result": False, "data": None}
    headers = {"Retry-After": "1", "X-Bkapi-Error-Code": "1642901", "X-Bkapi-Error-Message": "rate limit"}
    cmdb_sim.queue_faults(DELETE, [{"status": 429, "body": body, "headers": headers}])
    reply = esb.post(DELETE, dict(esb.auth, **delete_body([1])))
    assert (reply.status_code, reply.json()) == (429, body)
    assert reply.headers["Retry-After"] == "1"
    assert reply.headers["X-Bkapi-Error-Code"] == "1642901"


def test_failure_envelope(cmdb_sim, esb, firewalls):
    cmdb_sim.queue_faults(DELETE, [{"envelope": {"code": 1101075, "message": "instance is associated"}}])
    reply = esb(DELETE, **delete_body(firewalls))
    assert reply["result"] is False
    assert (reply["code"], reply["message"], reply["permission"], reply["data"]) == (1101075, "instance is associated", None, None)
    assert len(reply["request_id"]) == 32
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls


def test_esb_code_envelopes_have_no_permission_key(cmdb_sim, esb):
    # Real ESB-level failures (1306xxx) carry no permission key; CMDB replies carry one.
    cmdb_sim.queue_faults(DELETE, [
        {"envelope": {"code": 1306403, "message": "APP has no permission to access the component"}},
        {"envelope": {"message": "User authentication failed"}},
        {"envelope": {"code": 1306000, "permission": None}},
    ])
    first, second, third = [esb(DELETE, **delete_body([])) for _call in range(3)]
    assert first["code"] == 1306403 and "permission" not in first
    assert second["code"] == 1306000 and "permission" not in second
    # Unless the fault asks for it.
    assert third["permission"] is None


def test_custom_success_envelope_and_status(cmdb_sim, esb):
    cmdb_sim.queue_faults(DELETE, [
        {"envelope": {"result": True, "code": 0, "data": "success"}},
        {"status": 500, "envelope": {"code": 1199999, "message": "internal server error"}},
    ])
    first = esb(DELETE, **delete_body([1]))
    assert (first["result"], first["code"], first["data"]) == (True, 0, "success")
    second = esb.post(DELETE, dict(esb.auth, **delete_body([1])))
    assert (second.status_code, second.json()["code"]) == (500, 1199999)


def test_apply_commits_before_the_canned_reply(cmdb_sim, esb, firewalls):
    cmdb_sim.queue_faults(DELETE, [{"apply": True, "envelope": {"code": 1199036, "message": "proxy request failed"}}])
    assert esb(DELETE, **delete_body(firewalls[:2]))["code"] == 1199036
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls[2:]


def test_drop_closes_without_a_reply(cmdb_sim, esb, firewalls):
    cmdb_sim.queue_faults(DELETE, [{"drop": True}])
    with pytest.raises(requests.ConnectionError):
        esb(DELETE, **delete_body(firewalls))
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls
    assert cmdb_sim.requests(DELETE)[-1]["status"] is None
    # The next request is served normally.
    assert esb(DELETE, **delete_body(firewalls[:1]))["result"] is True


def test_apply_and_drop(cmdb_sim, esb, firewalls):
    cmdb_sim.queue_faults(DELETE, [{"drop": True, "apply": True}])
    with pytest.raises(requests.ConnectionError):
        esb(DELETE, **delete_body(firewalls[:3]))
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls[3:]


def test_delay_then_normal_handling(cmdb_sim, esb, firewalls):
    cmdb_sim.queue_faults(DELETE, [{"delay": 0.3}])
    started = time.monotonic()
    assert esb(DELETE, **delete_body(firewalls[:1]))["result"] is True
    assert time.monotonic() - started >= 0.3
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls[1:]


def test_apply_with_a_delay_commits_before_the_late_answer(cmdb_sim, esb, firewalls):
    # The server finished the delete; only its answer is late: the client times out on a done deal.
    cmdb_sim.queue_faults(DELETE, [{"apply": True, "delay": 2}])
    with pytest.raises(requests.Timeout):
        esb.session.post(cmdb_sim.url + "/api/c/compapi/v2/cc/%s/" % DELETE, json=dict(esb.auth, **delete_body(firewalls[:2])), timeout=0.5)
    assert cmdb_sim.instance_ids("bk_firewall") == firewalls[2:]


def test_delay_hits_client_timeout(cmdb_sim, esb):
    cmdb_sim.queue_faults(DELETE, [{"delay": 2}])
    with pytest.raises(requests.Timeout):
        esb.session.post(cmdb_sim.url + "/api/c/compapi/v2/cc/%s/" % DELETE, json=dict(esb.auth, **delete_body([1])), timeout=0.2)


def test_a_slow_reply_blocks_no_one(cmdb_sim, esb):
    cmdb_sim.queue_faults(DELETE, [{"delay": 1.5}])
    slow = threading.Thread(target=lambda: requests.post(cmdb_sim.url + "/api/c/compapi/v2/cc/%s/" % DELETE, json=delete_body([1]), timeout=5))
    slow.start()
    try:
        time.sleep(0.1)
        started = time.monotonic()
        assert esb("search_inst_by_object", bk_obj_id="bk_firewall")["result"] is True
        assert time.monotonic() - started < 1.0
    finally:
        slow.join()


def test_stop_does_not_wait_for_a_delay(cmdb_sim):
    cmdb_sim.queue_faults(DELETE, [{"delay": 30}])
    failures = []

    def slow_call():
        try:
            requests.post(cmdb_sim.url + "/api/c/compapi/v2/cc/%s/" % DELETE, json=delete_body([1]), timeout=10)
        except requests.ConnectionError as exc:
            failures.append(exc)

    caller = threading.Thread(target=slow_call)
    caller.start()
    time.sleep(0.2)
    started = time.monotonic()
    cmdb_sim.stop()
    caller.join(5)
    assert time.monotonic() - started < 3
    assert len(failures) == 1


def test_faults_are_fifo_per_api_with_repeat(cmdb_sim, esb):
    cmdb_sim.queue_faults(DELETE, [{"envelope": {"code": 1}, "repeat": 2}, {"envelope": {"code": 2}}])
    cmdb_sim.queue_faults(DELETE, [{"envelope": {"code": 3}}])
    cmdb_sim.queue_faults("search_inst_by_object", [{"envelope": {"code": 9}}])
    codes = [esb(DELETE, **delete_body([]))["code"] for _call in range(5)]
    assert codes == [1, 1, 2, 3, 0]
    assert esb("search_inst_by_object", bk_obj_id="bk_firewall")["code"] == 9


def test_faults_come_before_authentication(cmdb_sim, esb):
    cmdb_sim.queue_faults(DELETE, [{"status": 502, "body": "Bad Gateway"}])
    reply = esb.post(DELETE, {"bk_app_code": "nobody"})
    assert reply.status_code == 502


def test_clear_faults(cmdb_sim, esb):
    cmdb_sim.queue_faults(DELETE, [{"envelope": {"code": 1}}])
    cmdb_sim.clear_faults()
    assert esb(DELETE, **delete_body([]))["code"] == 0


@pytest.mark.parametrize("fault", [
    {"dealy": 1},
    {"delay": -1},
    {"repeat": 0},
    {"status": 42},
    {"envelope": "oops"},
    {"envelope": {}, "body": "x"},
    {"drop": True, "status": 500},
    {"apply": True},
    {"apply": True, "delay": 0},
    "drop",
])
def test_malformed_faults_are_refused(cmdb_sim, fault):
    with pytest.raises(ValueError):
        cmdb_sim.queue_faults(DELETE, [fault])


def test_faults_over_the_control_api(cmdb_sim, esb):
    reply = requests.post(cmdb_sim.url + "/__sim__/faults", json={"api": DELETE, "faults": [{"envelope": {"code": 1101030}}]}, timeout=5)
    assert (reply.status_code, reply.json()) == (200, {"ok": True})
    assert esb(DELETE, **delete_body([]))["code"] == 1101030
    reply = requests.post(cmdb_sim.url + "/__sim__/faults", json={"api": DELETE, "faults": [{"bogus": 1}]}, timeout=5)
    assert reply.status_code == 400
    assert "bogus" in reply.json()["error"]
    requests.post(cmdb_sim.url + "/__sim__/faults", json={"api": DELETE, "faults": [{"envelope": {"code": 1}}]}, timeout=5)
    assert requests.delete(cmdb_sim.url + "/__sim__/faults", timeout=5).status_code == 200
    assert esb(DELETE, **delete_body([]))["code"] == 0
