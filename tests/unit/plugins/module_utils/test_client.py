# -*- coding: utf-8 -*-
# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import ssl

import pytest
import requests
import urllib3

from ansible_collections.blueking.cmdb.plugins.module_utils import client as client_mod
from ansible_collections.blueking.cmdb.plugins.module_utils import errors as errors_mod
from ansible_collections.blueking.cmdb.plugins.module_utils.client import (
    EsbClient,
    backoff_delay,
    decode_body,
    mask_secrets,
    parse_reply,
    parse_retry_after,
)
from ansible_collections.blueking.cmdb.plugins.module_utils.errors import ApiError, BkCmdbError, ReplyError, TransportError

PATH = "/api/c/compapi/v2/cc/batch_delete_inst/"


def reply(body, status=200, headers=None):
    text = body if isinstance(body, str) else json.dumps(body)
    return parse_reply("batch_delete_inst", status, headers or {}, text, PATH)


def failure(body, status=200, headers=None):
    with pytest.raises((ApiError, ReplyError)) as info:
        reply(body, status, headers)
    return info.value


@pytest.mark.parametrize("body", [
    {"result": True, "code": 0, "message": "success", "permission": None, "request_id": "r-1", "data": None},
    {"result": True, "code": 0, "message": "success", "request_id": "r-1", "data": "success"},
    {"result": True, "code": 0},
    {"result": True, "bk_error_code": 0, "bk_error_msg": "success", "data": None},
    {"result": True, "code": "0"},
])
def test_success_envelopes_in_every_dialect(body):
    assert reply(body).data == body.get("data")


def test_success_keeps_request_id_from_body_then_gateway_header():
    assert reply({"result": True, "code": 0, "request_id": "abc"}).request_id == "abc"
    assert reply({"result": True, "code": 0}, headers={"X-Bkapi-Request-Id": "gw-1"}).request_id == "gw-1"


def test_esb_failure_carries_code_message_request_id_and_permission():
    permission = {"system_id": "bk_cmdb", "actions": [{"id": "delete_comobj_6", "related_resource_types": []}]}
    error = failure({"result": False, "code": 9900403, "message": "no permission", "permission": permission,
                     "request_id": "r-9", "data": None})
    assert isinstance(error, ApiError)
    assert (error.code, error.server_message, error.request_id, error.permission) == (9900403, "no permission", "r-9", permission)
    assert "batch_delete_inst failed" in str(error) and "9900403" in str(error) and "r-9" in str(error)
    assert "permission to apply for: delete_comobj_6" in str(error)
    assert not error.retryable and not error.ambiguous
    assert error.result_fields()["permission"] == permission


def test_old_cmdb_envelope_is_read():
    error = failure({"result": False, "bk_error_code": 1199036, "bk_error_msg": "proxy request failed", "data": None})
    assert error.code == 1199036 and "proxy request failed" in str(error)


def test_failure_without_any_code_says_so():
    error = failure({"result": False})
    assert error.code is None and "no error code" in str(error)


def test_result_true_with_nonzero_code_is_a_failure():
    error = failure({"result": True, "code": 1101001, "message": "delete failed"})
    assert error.code == 1101001 and "non-zero code" in str(error)


def test_json_error_in_http_500_keeps_status_code_and_message():
    error = failure({"result": False, "code": 1199999, "message": "internal server error"}, status=500)
    assert (error.http_status, error.code) == (500, 1199999)
    assert "HTTP 500" in str(error) and "internal server error" in str(error)
    assert error.ambiguous and not error.retryable


def test_gateway_error_reads_code_name_and_headers():
    error = failure({"code": 1640101, "code_name": "APP_VERIFY_FAILED", "message": "bk_app_code or bk_app_secret is incorrect",
                     "result": False, "data": None}, status=401, headers={"X-Bkapi-Request-Id": "gw-7"})
    assert (error.code, error.code_name, error.request_id, error.http_status) == (1640101, "APP_VERIFY_FAILED", "gw-7", 401)
    assert not error.retryable and not error.ambiguous


def test_gateway_error_code_only_in_headers():
    headers = {"X-Bkapi-Error-Code": "1642901", "X-Bkapi-Error-Message": "rate limited", "Retry-After": "2"}
    error = failure({"result": False}, status=429, headers=headers)
    assert (error.code, error.server_message, error.retry_after) == (1642901, "rate limited", 2.0)
    assert error.retryable and not error.ambiguous


@pytest.mark.parametrize("body", ["", "Unauthorized", "<html><body>401</body></html>"], ids=["empty", "text", "html"])
def test_gateway_error_headers_name_the_error_whatever_the_body(body):
    headers = {"X-Bkapi-Error-Code": "1640101", "X-Bkapi-Error-Message": "bk_app_code or bk_app_secret is incorrect",
               "X-Bkapi-Request-Id": "gw-8", "Content-Type": "text/plain"}
    with pytest.raises(ApiError) as info:
        client_mod.parse_reply("batch_delete_inst", 401, headers, body, "/api/c/compapi/v2/cc/batch_delete_inst/")
    error = info.value
    assert (error.code, error.server_message, error.request_id, error.http_status) == (
        1640101, "bk_app_code or bk_app_secret is incorrect", "gw-8", 401)
    assert not error.retryable and not error.ambiguous


@pytest.mark.parametrize("status, content_type, body", [
    (404, "text/html", "<html><body><h1>404 Not Found</h1></body></html>"),
    (405, "text/plain", "405: Method Not Allowed"),
    (200, "text/plain", ""),
    (502, "text/html", "<html>Bad Gateway</html>" + "x" * 2000),
])
def test_non_json_bodies_report_status_path_and_a_short_excerpt(status, content_type, body):
    error = failure(body, status=status, headers={"Content-Type": content_type})
    assert isinstance(error, ReplyError)
    text = str(error)
    assert "HTTP %d" % status in text and PATH in text and content_type in text
    assert len(text) < 800
    assert error.ambiguous == (status >= 500 or status == 200)


@pytest.mark.parametrize("body", [{}, {"data": None}, {"message": "ok"}, {"result": "true", "code": 0},
                                  {"result": True, "message": "success"}, {"result": True, "code": None},
                                  {"code": 0, "message": "success"}, {"bk_error_code": 0, "bk_error_msg": "success"}])
def test_a_2xx_json_body_that_is_neither_success_nor_failure_is_ambiguous(body):
    # Half an envelope is no proof that a delete happened: the caller must read the state back.
    error = failure(body)
    assert isinstance(error, ReplyError) and error.ambiguous and "neither a success nor a failure" in str(error)


def test_foreign_json_error_without_envelope_keys_keeps_its_body():
    error = failure({"detail": "Not Found"}, status=404)
    assert isinstance(error, ApiError) and error.http_status == 404 and '"detail": "Not Found"' in str(error)


def test_an_integral_float_code_is_read_as_the_code():
    assert failure({"result": False, "bk_error_code": 1199036.0, "bk_error_msg": "proxy request failed"}).code == 1199036


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_a_failure_that_names_its_target(status):
    error = failure("", status=status, headers={"Location": "http://elsewhere.example/api/"})
    assert isinstance(error, ReplyError) and not error.ambiguous and not error.retryable
    assert "HTTP %d" % status in str(error) and "http://elsewhere.example/api/" in str(error) and "bk_paas_host" in str(error)


def test_redirects_are_never_followed():
    # The body carries bk_app_secret; requests would post it again to the Location's host.
    session = FakeSession(OK, OK)
    client = make_client(session)[0]
    client.call("search_inst", {})
    client.call("batch_delete_inst", {})
    assert [post["allow_redirects"] for post in session.posts] == [False, False]


def test_json_that_is_not_an_object_is_unreadable():
    assert isinstance(failure("[1, 2]"), ReplyError)


@pytest.mark.parametrize("code", [1199997, 1306429, 1642901, 1642904, 1306201])
def test_throttle_and_upstream_codes_are_retryable(code):
    assert failure({"result": False, "code": code, "message": "x"}).retryable


@pytest.mark.parametrize("code", [9900403, 1101075, 1101030, 1199084, 1199000, 1199006, 1306000, 1306403])
def test_deterministic_codes_are_never_retried(code):
    assert not failure({"result": False, "code": code, "message": "x"}).retryable


def test_non_ascii_messages_pass_through_unchanged():
    error = failure({"result": False, "code": 1101075, "message": "实例存在关联关系，不能删除"})
    assert "实例存在关联关系，不能删除" in str(error)


@pytest.mark.parametrize("content_type, raw, expected", [
    ("application/json", "实例".encode("utf-8"), "实例"),
    ("text/html", "实例".encode("utf-8"), "实例"),
    ("text/plain; charset=GBK", "实例".encode("gbk"), "实例"),
    ("text/plain; charset=no-such-codec", b"ok", "ok"),
    (None, b"\xff ok", "\ufffd ok"),
])
def test_bodies_are_decoded_by_declared_charset_else_utf8(content_type, raw, expected):
    assert decode_body(raw, {"Content-Type": content_type} if content_type else {}) == expected


def test_chinese_messages_survive_the_whole_client():
    session = FakeSession(FakeResponse({"result": False, "code": 1101075, "message": "实例存在关联关系"}))
    with pytest.raises(ApiError) as info:
        make_client(session)[0].call("batch_delete_inst", {})
    assert "实例存在关联关系" in str(info.value)


def test_backoff_doubles_is_capped_and_jittered():
    assert backoff_delay(1, 1.0, rand=lambda: 1.0) == 1.0
    assert backoff_delay(3, 1.0, rand=lambda: 1.0) == 4.0
    assert backoff_delay(3, 1.0, rand=lambda: 0.0) == 2.0
    assert backoff_delay(20, 1.0, rand=lambda: 1.0) == client_mod.MAX_BACKOFF
    assert backoff_delay(2, 0.0) == 0.0


@pytest.mark.parametrize("value, expected", [
    ("1", 1.0), ("0.5", 0.5), (None, None), ("soon", None), ("-1", None), ("9999", 120.0),
    ("Wed, 21 Oct 2026 07:28:05 GMT", 5.0), ("Wed, 21 Oct 2026 07:27:00 GMT", 0.0), ("Wed, 21 Oct 2026 09:28:00 GMT", 120.0),
])
def test_retry_after_in_seconds_or_as_a_date(value, expected):
    now = 1792567680.0  # 2026-10-21 07:28:00 UTC
    assert parse_retry_after(value, now=now) == expected


def test_mask_secrets_replaces_every_occurrence():
    assert mask_secrets("got S3cr3t and S3cr3t, T0k", ["S3cr3t", "T0k", None, ""]) == "got ******** and ********, ********"


@pytest.mark.parametrize("echo", ["S3cr&t<X>Y\"q", "S3cr&amp;t&lt;X&gt;Y&quot;q", "S3cr&t<X>Y\\\"q", "S3cr%26t%3CX%3EY%22q"])
def test_escaped_echoes_of_a_secret_are_masked_too(echo):
    masked = mask_secrets("secret was [%s]" % echo, ['S3cr&t<X>Y"q'])
    assert masked == "secret was [********]"


def test_json_replies_are_parsed_before_masking_so_short_secrets_cannot_break_them():
    session = FakeSession(FakeResponse({"result": False, "code": 1306000, "message": "APP Secret verification failed, 0", "request_id": "r0"}))
    with pytest.raises(ApiError) as info:
        make_client(session, app_secret="0")[0].call("search_inst", {})
    assert isinstance(info.value, ApiError) and info.value.code == 1306000 and info.value.request_id == "r0"
    assert info.value.server_message.endswith("failed, ********")


class FakeResponse:
    def __init__(self, body, status=200, headers=None):
        text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        self.content = text.encode("utf-8")
        self.status_code = status
        self.headers = headers or {"Content-Type": "application/json"}


class FakeSession:
    """Stands in for requests.Session: answers from a script, records what was posted."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.posts = []
        self.headers = {}
        self.verify = None

    def post(self, url, data, timeout, verify, allow_redirects=True):
        self.posts.append({"url": url, "body": json.loads(data), "timeout": timeout, "verify": verify,
                           "allow_redirects": allow_redirects})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


OK = FakeResponse({"result": True, "code": 0, "message": "success", "request_id": "r-ok", "data": None})


def make_client(session, **kwargs):
    warnings, sleeps = [], []
    settings = dict(base_url="https://paas.example.test/", app_code="ansible-test", app_secret="S3cr3t-Value-XYZ",
                    username="ops-bot", session=session, warn=warnings.append, sleep=sleeps.append, rand=lambda: 1.0)
    settings.update(kwargs)
    return EsbClient(**settings), warnings, sleeps


def test_body_carries_credentials_supplier_account_and_payload():
    session = FakeSession(OK)
    client = make_client(session)[0]
    client.call("batch_delete_inst", {"bk_obj_id": "bk_firewall", "delete": {"inst_ids": [46]}})
    post = session.posts[0]
    assert post["url"] == "https://paas.example.test/api/c/compapi/v2/cc/batch_delete_inst/"
    assert post["body"] == {"bk_app_code": "ansible-test", "bk_app_secret": "S3cr3t-Value-XYZ", "bk_username": "ops-bot",
                            "bk_supplier_account": "0", "bk_obj_id": "bk_firewall", "delete": {"inst_ids": [46]}}
    assert post["timeout"] == 30.0
    assert client.request_ids == ["r-ok"]


def test_only_the_given_credential_is_sent_never_an_empty_token():
    session = FakeSession(OK, OK)
    make_client(session, username="ops-bot", token=None)[0].call("search_inst", {})
    make_client(session, username=None, token="T0ken-Value-ABC")[0].call("search_inst", {})
    assert "bk_token" not in session.posts[0]["body"]
    assert session.posts[1]["body"]["bk_token"] == "T0ken-Value-ABC" and "bk_username" not in session.posts[1]["body"]


@pytest.mark.parametrize("validate_certs, ca_path, expected", [(True, None, True), (False, None, False), (True, "/ca.pem", "/ca.pem")])
def test_tls_settings_go_with_every_request(validate_certs, ca_path, expected):
    # Per request, not only on the session: requests lets REQUESTS_CA_BUNDLE beat session.verify.
    session = FakeSession(OK, OK)
    client = make_client(session, validate_certs=validate_certs, ca_path=ca_path)[0]
    client.call("search_inst", {})
    client.call("batch_delete_inst", {})
    assert session.verify == expected and [post["verify"] for post in session.posts] == [expected, expected]


def test_a_missing_ca_file_is_an_error_not_a_crash():
    session = FakeSession(OSError("Could not find a suitable TLS CA certificate bundle, invalid path: /nope.pem"))
    with pytest.raises(TransportError) as info:
        make_client(session, ca_path="/nope.pem")[0].call("search_inst", {})
    assert "/nope.pem" in str(info.value) and not info.value.retryable


def test_throttling_is_retried_honouring_retry_after_with_one_warning_each():
    session = FakeSession(FakeResponse({"result": False, "code": 1642901}, status=429, headers={"Retry-After": "3"}),
                          FakeResponse({"result": False, "code": 1199997, "message": "too many requests"}), OK)
    client, warnings, sleeps = make_client(session, retry_delay=0.5)
    client.call("batch_delete_inst", {})
    assert len(session.posts) == 3
    assert sleeps == [3.0, 1.0]
    assert len(warnings) == 2 and all("batch_delete_inst: retry" in w for w in warnings)


def test_retries_stop_at_the_limit_and_raise_the_last_error():
    throttled = FakeResponse({"result": False, "code": 1306429, "message": "rate limit"})
    session = FakeSession(throttled, throttled, throttled)
    client, warnings = make_client(session, retries=2)[:2]
    with pytest.raises(ApiError) as info:
        client.call("search_inst", {})
    assert info.value.code == 1306429 and len(session.posts) == 3 and len(warnings) == 2


def test_retries_zero_turns_retrying_off():
    session = FakeSession(FakeResponse({"result": False, "code": 1199997}))
    with pytest.raises(ApiError):
        make_client(session, retries=0)[0].call("search_inst", {})
    assert len(session.posts) == 1


def test_deterministic_failures_are_not_retried():
    session = FakeSession(FakeResponse({"result": False, "code": 1101075, "message": "the inst has association"}))
    with pytest.raises(ApiError):
        make_client(session)[0].call("batch_delete_inst", {})
    assert len(session.posts) == 1


@pytest.mark.parametrize("reply", [
    FakeResponse("<html>504 Gateway Time-out</html>", status=504, headers={"Content-Type": "text/html"}),
    FakeResponse({"result": False, "code": 1199997, "message": "too many requests"}),
], ids=["ambiguous", "throttled"])
def test_writes_are_never_retried_by_the_client(reply):
    # The caller of a write owns its retries (one budget for throttling and lost answers).
    session = FakeSession(reply)
    with pytest.raises(BkCmdbError) as info:
        make_client(session)[0].call("batch_delete_inst", {}, retry=False)
    assert info.value.retryable and len(session.posts) == 1


def test_secrets_echoed_by_the_server_are_masked_everywhere():
    session = FakeSession(FakeResponse({"result": False, "code": 1306406, "request_id": "r-s",
                                        "message": "app secret check failed for ansible-test, got S3cr3t-Value-XYZ",
                                        "permission": {"note": "token T0ken-Value-ABC"}}))
    client = make_client(session, token="T0ken-Value-ABC")[0]
    with pytest.raises(ApiError) as info:
        client.call("search_inst", {})
    dumped = str(info.value) + json.dumps(info.value.result_fields())
    assert "S3cr3t-Value-XYZ" not in dumped and "T0ken-Value-ABC" not in dumped and "********" in dumped


@pytest.mark.parametrize("offset", [480, 490, 495, 499, 500, 510])
def test_a_secret_cut_by_the_excerpt_limit_leaves_no_piece(offset):
    secret = "Zq9LEw7Rt2Vb8Nk4Pd"
    page = "<html>" + "x" * (offset - 6 - len("bk_app_secret=")) + "bk_app_secret=" + secret + "</html>" + "y" * 600
    session = FakeSession(FakeResponse(page, status=400, headers={"Content-Type": "text/html"}))
    with pytest.raises(ReplyError) as info:
        make_client(session, app_secret=secret)[0].call("search_inst", {})
    text = str(info.value)
    assert not any(secret[:size] in text for size in range(4, len(secret) + 1))


@pytest.mark.parametrize("echo", [
    "Ab&#39;c/d e&#34;fLEAKZ",        # markupsafe (Jinja) escaping
    "Ab%27c/d%20e%22fLEAKZ",          # urllib quote() with its default safe="/"
    "Ab%2527c%252Fd%2520e%2522fLEAKZ",  # URL-encoded twice, as in a login redirect's next= URL
    "Ab'c/d e\"fLEAKZ",              # JSON string escaping
])
def test_escaped_echoes_of_a_secret_are_masked(echo):
    secret = "Ab'c/d e\"fLEAKZ"
    session = FakeSession(FakeResponse({"result": False, "code": 1306000, "message": "bad secret " + echo}))
    with pytest.raises(ApiError) as info:
        make_client(session, app_secret=secret)[0].call("search_inst", {})
    assert "LEAKZ" not in str(info.value) and "********" in str(info.value)


def connection_error_never_connected():
    reason = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/x", reason))


@pytest.mark.parametrize("exc, retryable, ambiguous, words", [
    (requests.exceptions.ReadTimeout("read timed out"), True, True, ["timeout", "30"]),
    (requests.exceptions.ConnectTimeout("connect timed out"), True, False, ["timeout"]),
    (requests.exceptions.ConnectionError("Connection aborted. RemoteDisconnected"), True, True, ["broke"]),
    (connection_error_never_connected(), True, False, ["cannot connect"]),
    (requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED"), False, False, ["validate_certs", "ca_path"]),
    (requests.exceptions.SSLError(urllib3.exceptions.MaxRetryError(None, "/x", ssl.SSLCertVerificationError(1, "hostname mismatch"))),
     False, False, ["validate_certs", "ca_path"]),
    (requests.exceptions.SSLError("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"), False, False,
     ["handshake", "scheme and port of bk_paas_host"]),
    (requests.exceptions.ProxyError("Cannot connect to proxy"), True, False, ["https_proxy", "no_proxy"]),
])
def test_transport_failures_are_classified_and_explained(exc, retryable, ambiguous, words):
    session = FakeSession(exc)
    with pytest.raises(TransportError) as info:
        make_client(session, retries=0)[0].call("batch_delete_inst", {})
    error = info.value
    assert (error.retryable, error.ambiguous) == (retryable, ambiguous)
    assert str(error).startswith("batch_delete_inst")
    for word in words:
        assert word in str(error)


def test_an_error_chain_with_a_string_reason_is_classified():
    inner = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    inner.reason = "WRONG_VERSION_NUMBER"  # what the ssl module sets: a string, not an exception
    session = FakeSession(requests.exceptions.SSLError(urllib3.exceptions.MaxRetryError(None, "/x", inner)))
    with pytest.raises(TransportError) as info:
        make_client(session, retries=0)[0].call("search_inst", {})
    assert "handshake" in str(info.value)


def test_a_failed_handshake_does_not_send_the_user_to_the_certificate_options():
    # https:// against a plain-HTTP port: ca_path and validate_certs cannot fix that.
    session = FakeSession(requests.exceptions.SSLError("[SSL: WRONG_VERSION_NUMBER] wrong version number"))
    with pytest.raises(TransportError) as info:
        make_client(session, validate_certs=False, retries=0)[0].call("search_inst", {})
    assert "validate_certs" not in str(info.value) and "ca_path" not in str(info.value)


@pytest.mark.parametrize("permission, expected", [
    ({"actions": [{"id": "delete_comobj_6", "name": "删除实例"}, {"id": "view_comobj_6"}]}, ["delete_comobj_6 (删除实例)", "view_comobj_6"]),
    ({"actions": [{"name": "no id"}, "junk", None]}, []),
    ({"actions": "junk"}, []),
    (None, []),
    ("junk", []),
])
def test_permission_actions_name_what_to_apply_for_and_ignore_odd_shapes(permission, expected):
    assert errors_mod.permission_actions(permission) == expected


@pytest.mark.parametrize("code, hint", [(1101075, "remove that association"), (1101030, "move them out"),
                                        (1306403, "component permission")])
def test_common_refusals_say_what_to_do(code, hint):
    assert hint in str(failure({"result": False, "code": code, "message": "refused"}))


def test_other_codes_carry_no_hint():
    assert " -- " not in str(failure({"result": False, "code": 1199000, "message": "bad json"}))
