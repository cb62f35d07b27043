# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Credentials, permissions and secrets: field cases F09, F10 B, F11, plus issue 2's auth scenarios
(bk_token-only apps, an invalid bk_token next to bk_username, a wrong app secret, BK_* environment
fallbacks and module_defaults through the action group).
"""

import html
import json

import pytest
import requests

from cmdb_helpers import (
    APP_CODE, APP_SECRET, DEFAULT_OBJ, GROUP, NO_DELETE_APP_CODE, NO_DELETE_APP_SECRET, TOKEN, TOKEN_APP_CODE, TOKEN_APP_SECRET,
    USERNAME, VIEW_ONLY_USER, add_devices, calls, connection_options, failed_without_change, ids_of, succeeded, writes,
)

# The permission object of field case F09, sent verbatim so "unchanged" can be checked to the byte.
F09_PERMISSION = {
    "system_id": "bk_cmdb",
    "system_name": "配置平台",
    "actions": [{"id": "delete_instance_x", "name": "删除实例", "related_resource_types": []}],
}


def replay(sim, entry):
    """Send a logged request again, as is, and return the decoded reply: the oracle for what the server said."""
    return requests.post(sim.url + entry["path"], data=entry["raw_body"], headers={"Content-Type": "application/json"}, timeout=10).json()


# --- F09: no permission, and the permission object -------------------------------------------

def test_f09_view_only_user_gets_9900403_with_the_servers_permission_object(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    run = bk_cc_instance(cmdb_sim, ids_of(devices), bk_username=VIEW_ONLY_USER)
    result = failed_without_change(run)

    refused = calls(cmdb_sim, "batch_delete_inst")
    assert len(refused) == 1, "9900403 must not be retried"
    server_said = replay(cmdb_sim, refused[0])
    assert server_said["code"] == 9900403
    assert result["code"] == 9900403
    assert server_said["message"] in result["msg"]
    assert "9900403" in result["msg"]
    assert result["permission"] == server_said["permission"]
    # The action to apply for is named in msg, not only buried in the permission object.
    assert server_said["permission"]["actions"][0]["id"] in result["msg"]
    assert result["request_id"] in result["request_ids"]
    assert sorted(result["not_deleted"]) == sorted(ids_of(devices))
    assert set(ids_of(devices)) <= set(cmdb_sim.instance_ids(DEFAULT_OBJ))


@pytest.mark.parametrize("api,check", [("batch_delete_inst", False), ("search_inst", True), ("search_inst", False)],
                         ids=["on-delete", "on-lookup-check-mode", "on-lookup"])
def test_f09_permission_object_is_returned_unchanged(cmdb_sim, bk_cc_instance, api, check):
    devices = add_devices(cmdb_sim, 1)
    cmdb_sim.queue_faults(api, [{"envelope": {
        "result": False, "code": 9900403, "message": "no permission", "permission": F09_PERMISSION, "request_id": "r-9", "data": None}}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices), check=check)
    result = failed_without_change(run)

    assert result["code"] == 9900403
    assert "no permission" in result["msg"]
    assert api in result["msg"] and "r-9" in result["msg"]
    assert result["permission"] == F09_PERMISSION
    assert result["request_id"] == "r-9"
    # A lookup that was refused is never "nothing to delete".
    assert result["deleted"] == []
    assert len(calls(cmdb_sim, api)) == 1
    assert ids_of(devices)[0] in cmdb_sim.instance_ids(DEFAULT_OBJ)


def test_f09_app_without_component_permission_fails_with_1306403_and_no_permission_key(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, ids_of(devices), bk_app_code=NO_DELETE_APP_CODE, bk_app_secret=NO_DELETE_APP_SECRET)
    result = failed_without_change(run)

    assert result["code"] == 1306403
    assert "1306403" in result["msg"]
    assert "batch_delete_inst" in result["msg"]
    # The server sent no permission object; none is invented.
    assert result.get("permission") is None
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 1


# --- F10 B: the server says the operator is missing --------------------------------------------

def test_f10_operator_missing_from_esb_is_reported_with_its_code(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 1)
    cmdb_sim.queue_faults("search_inst", [{"envelope": {"result": False, "code": 1306401, "message": "operator (bk_username) missing"}}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices))
    result = failed_without_change(run)

    assert result["code"] == 1306401
    assert "operator (bk_username) missing" in result["msg"]
    assert writes(cmdb_sim) == []


# --- F11 and issue 2: wrong secrets, and secrets never leak -------------------------------------

def test_wrong_app_secret_fails_without_a_write(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 1)
    wrong = "Wr0ng-App-Secret-123"
    run = bk_cc_instance(cmdb_sim, ids_of(devices), bk_app_secret=wrong, verbosity=3)
    result = failed_without_change(run)

    assert result["code"] == 1306000
    assert "secret" in result["msg"].lower()
    assert writes(cmdb_sim) == []
    assert run.leaks([wrong]) == []


SECRET = "S3cr3t-Value-XYZ"
TOKEN_SECRET = "T0ken-Value-ABC"
ECHO = "app secret check failed for ansible-test, got %s (token %s)" % (SECRET, TOKEN_SECRET)


@pytest.mark.parametrize("api,fault", [
    ("search_inst", {"envelope": {"result": False, "code": 1306406, "message": ECHO}}),
    ("batch_delete_inst", {"status": 200, "body": {"result": False, "bk_error_code": 1306406, "bk_error_msg": ECHO}}),
    ("search_inst", {"status": 500, "body": "<html><body>%s</body></html>" % ECHO, "content_type": "text/html", "repeat": 5}),
    ("batch_delete_inst", {"envelope": {"result": False, "code": 9900403, "message": ECHO,
                                        "permission": {"system_id": "bk_cmdb", "actions": [{"id": ECHO}]}}}),
    ("search_inst", {"status": 429, "headers": {"Retry-After": "0"}, "body": {"result": False, "code": 1306429, "message": ECHO}, "repeat": 5}),
], ids=["esb-envelope", "old-envelope", "html-500", "permission-object", "throttle-warnings"])
def test_f11_secrets_echoed_by_the_server_never_reach_the_output(cmdb_sim, bk_cc_instance, api, fault):
    devices = add_devices(cmdb_sim, 1)
    if api == "batch_delete_inst":
        # These credentials are not the simulator's: the look-up must be answered for them.
        cmdb_sim.queue_faults("search_inst", [{"envelope": {"result": True, "code": 0, "message": "success", "data": {
            "count": 1, "info": [{key: devices[0][key] for key in ("bk_inst_id", "bk_inst_name")}]}}}])
    cmdb_sim.queue_faults(api, [fault])
    run = bk_cc_instance(cmdb_sim, ids_of(devices), bk_app_secret=SECRET, bk_token=TOKEN_SECRET, retries=1, verbosity=3)
    result = run.result

    assert result.get("failed") is True, run.describe()
    assert run.leaks([SECRET, TOKEN_SECRET]) == []
    # The rest of the server's message still helps the user.
    assert "app secret check failed for ansible-test" in result["msg"]
    # The simulator did receive the real secrets: masking happens only on the way out.
    assert cmdb_sim.requests()[0]["body"]["bk_app_secret"] == SECRET


@pytest.mark.parametrize("form", ["html", "json"])
def test_f11_escaped_echoes_of_a_secret_are_masked(cmdb_sim, bk_cc_instance, form):
    secret = 'S3cr&t<Value>"XYZ'
    echoed = html.escape(secret) if form == "html" else json.dumps(secret)[1:-1]
    body = "<html><body>bad secret %s</body></html>" % echoed if form == "html" else '{"result": false, "code": 1306000, "message": "got %s"}' % echoed
    cmdb_sim.queue_faults("search_inst", [{"status": 500, "body": body, "content_type": "text/html" if form == "html" else "application/json"}])
    run = bk_cc_instance(cmdb_sim, [46], bk_app_secret=secret, retries=0, verbosity=3)

    assert run.result.get("failed") is True, run.describe()
    assert run.leaks([secret, echoed]) == []
    assert "********" in run.result["msg"]


@pytest.mark.parametrize("offset", [480, 495, 499])
def test_f11_a_secret_cut_by_the_error_excerpt_leaves_no_piece(cmdb_sim, bk_cc_instance, offset):
    # Error pages are quoted up to ~500 characters: a secret echoed across that limit must be
    # masked before the cut, or its first characters would survive into msg and warnings.
    lead = "<html><body>" + "x" * (offset - len("<html><body>bk_app_secret=")) + "bk_app_secret="
    page = lead + SECRET + "</body></html>" + "y" * 600
    cmdb_sim.queue_faults("search_inst", [{"status": 502, "body": page, "content_type": "text/html", "repeat": 2}])
    run = bk_cc_instance(cmdb_sim, [46], bk_app_secret=SECRET, retries=1, verbosity=3)
    result = run.result

    assert result.get("failed") is True, run.describe()
    assert "HTTP 502" in result["msg"]
    assert [piece for piece in (SECRET[:size] for size in range(5, len(SECRET) + 1)) if piece in run.output + str(result)] == []
    assert len(calls(cmdb_sim, "search_inst")) == 2 and writes(cmdb_sim) == []


@pytest.mark.parametrize("form", ["markupsafe", "url-default", "url-twice"])
def test_f11_template_and_url_echoes_of_a_secret_are_masked(cmdb_sim, bk_cc_instance, form):
    secret = "Ab'c/d e\"fLEAKZ"
    echoed = {"markupsafe": "Ab&#39;c/d e&#34;fLEAKZ", "url-default": "Ab%27c/d%20e%22fLEAKZ",
              "url-twice": "Ab%2527c%252Fd%2520e%2522fLEAKZ"}[form]
    cmdb_sim.queue_faults("search_inst", [{"envelope": {"result": False, "code": 1306000, "message": "redirect to /login?next=" + echoed}}])
    run = bk_cc_instance(cmdb_sim, [46], bk_app_secret=secret, retries=0, verbosity=3)
    result = failed_without_change(run)

    assert "LEAKZ" not in run.output + str(result)
    assert "redirect to /login?next=********" in result["msg"]


# --- bk_token and bk_username ------------------------------------------------------------------

def test_bk_token_only_app_works_with_a_token_and_sends_no_username(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    run = bk_cc_instance(cmdb_sim, ids_of(devices), omit=("bk_username",),
                         bk_app_code=TOKEN_APP_CODE, bk_app_secret=TOKEN_APP_SECRET, bk_token=TOKEN)
    result = run.result

    assert succeeded(result), run.describe()
    assert result["deleted"] == ids_of(devices)
    for entry in cmdb_sim.requests():
        assert entry["body"]["bk_token"] == TOKEN
        assert "bk_username" not in entry["body"]


def test_invalid_bk_token_fails_even_with_a_valid_bk_username(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, ids_of(devices), bk_username=USERNAME, bk_token="not-a-valid-token")
    failed_without_change(run)

    assert run.result["code"] == 1306000
    assert "bk_token" in run.result["msg"]
    # The token given is what was sent: no silent fallback to the username.
    assert cmdb_sim.requests()[0]["body"]["bk_token"] == "not-a-valid-token"
    assert writes(cmdb_sim) == []
    assert ids_of(devices)[0] in cmdb_sim.instance_ids(DEFAULT_OBJ)


def test_empty_bk_token_is_never_sent(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, ids_of(devices), bk_username=USERNAME, bk_token="")

    assert succeeded(run.result), run.describe()
    assert all("bk_token" not in entry["body"] for entry in cmdb_sim.requests())


def test_both_credentials_given_says_which_one_is_used(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, ids_of(devices), bk_username=USERNAME, bk_token=TOKEN)
    result = run.result

    if result.get("failed"):
        assert cmdb_sim.requests() == []
        assert "bk_token" in result["msg"] and "bk_username" in result["msg"]
    else:
        assert any("bk_token" in warning for warning in result.get("warnings", [])), run.describe()


# --- environment fallbacks and module_defaults ---------------------------------------------------

def test_connection_options_fall_back_to_bk_environment_variables(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 1)
    env = {"BK_PAAS_HOST": cmdb_sim.url, "BK_APP_CODE": APP_CODE, "BK_APP_SECRET": APP_SECRET, "BK_USERNAME": USERNAME}
    run = bk_cc_instance(cmdb_sim, ids_of(devices), omit=("bk_paas_host", "bk_app_code", "bk_app_secret", "bk_username"), env=env)

    assert succeeded(run.result), run.describe()
    assert run.result["deleted"] == ids_of(devices)
    body = calls(cmdb_sim, "batch_delete_inst")[0]["body"]
    assert (body["bk_app_code"], body["bk_app_secret"], body["bk_username"]) == (APP_CODE, APP_SECRET, USERNAME)


def test_bk_token_falls_back_to_its_environment_variable(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 1)
    env = {"BK_TOKEN": TOKEN, "BK_APP_CODE": TOKEN_APP_CODE, "BK_APP_SECRET": TOKEN_APP_SECRET}
    run = bk_cc_instance(cmdb_sim, ids_of(devices), omit=("bk_username", "bk_app_code", "bk_app_secret"), env=env)

    assert succeeded(run.result), run.describe()
    assert calls(cmdb_sim, "batch_delete_inst")[0]["body"]["bk_token"] == TOKEN


def test_task_options_win_over_the_environment(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 1)
    # Both would fail if used: a dead host and a user without delete permission.
    env = {"BK_PAAS_HOST": "http://127.0.0.1:9", "BK_USERNAME": VIEW_ONLY_USER}
    run = bk_cc_instance(cmdb_sim, ids_of(devices), env=env)

    assert succeeded(run.result), run.describe()
    assert calls(cmdb_sim, "batch_delete_inst")[0]["body"]["bk_username"] == USERNAME


def test_a_stale_bk_token_in_the_environment_does_not_override_the_tasks_bk_username(cmdb_sim, bk_cc_instance):
    # An AWX credential may leave BK_TOKEN set; ESB would reject the run on that token.
    devices = add_devices(cmdb_sim, 1)
    run = bk_cc_instance(cmdb_sim, ids_of(devices), env={"BK_TOKEN": "stale-token-from-an-old-credential"})

    assert succeeded(run.result), run.describe()
    assert all("bk_token" not in entry["body"] for entry in cmdb_sim.requests())
    assert not run.result.get("warnings"), run.describe()


def test_module_defaults_for_the_action_group_supply_the_connection(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    defaults = {GROUP: connection_options(cmdb_sim)}
    run = bk_cc_instance(cmdb_sim, ids_of(devices), omit=tuple(defaults[GROUP]), module_defaults=defaults)

    assert succeeded(run.result), run.describe()
    assert run.result["deleted"] == ids_of(devices)
    assert calls(cmdb_sim, "batch_delete_inst")[0]["body"]["bk_app_code"] == APP_CODE
