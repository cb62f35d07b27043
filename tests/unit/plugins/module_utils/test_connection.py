# -*- coding: utf-8 -*-
# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.blueking.cmdb.plugins.module_utils.connection import (
    connection_argument_spec,
    connection_settings,
    credential_warnings,
    normalize_base_url,
)
from ansible_collections.blueking.cmdb.plugins.module_utils.errors import InputError


NO_ENV = {}


def params(**overrides):
    values = dict((name, spec.get("default")) for name, spec in connection_argument_spec().items())
    values.update(bk_paas_host="https://paas.example.test", bk_app_code="ansible-test", bk_app_secret="S3cr3t-Value-XYZ",
                  bk_username="ops-bot")
    values.update(overrides)
    return values


def test_defaults_give_a_complete_client_configuration():
    settings = connection_settings(environ=NO_ENV, params=params())
    assert settings == dict(base_url="https://paas.example.test", app_code="ansible-test", app_secret="S3cr3t-Value-XYZ",
                            username="ops-bot", token=None, supplier_account="0", validate_certs=True, ca_path=None,
                            timeout=30.0, retries=3, retry_delay=1.0)


@pytest.mark.parametrize("value, expected", [
    ("https://paas.example.com/", "https://paas.example.com"),
    (" http://10.0.0.1:8080/o ", "http://10.0.0.1:8080/o"),
])
def test_base_url_is_normalized(value, expected):
    assert normalize_base_url(value) == expected


@pytest.mark.parametrize("value", ["paas.example.com", "ftp://paas.example.com", "https://", "", None, "https://x/?a=1"])
def test_base_url_must_be_http(value):
    with pytest.raises(InputError) as info:
        normalize_base_url(value)
    assert "bk_paas_host" in str(info.value)


@pytest.mark.parametrize("overrides, words", [
    (dict(bk_username=None, bk_token=None), ["bk_username", "bk_token"]),
    (dict(bk_username="  ", bk_token=""), ["bk_username", "bk_token"]),
    (dict(bk_app_code=" "), ["bk_app_code", "BK_APP_CODE", "module_defaults"]),
    (dict(bk_app_secret="  "), ["bk_app_secret", "BK_APP_SECRET"]),
    (dict(bk_app_code=None), ["bk_app_code", "BK_APP_CODE", "module_defaults"]),
    (dict(bk_app_secret=""), ["bk_app_secret", "BK_APP_SECRET"]),
    (dict(bk_app_secret=None), ["bk_app_secret", "BK_APP_SECRET"]),
    (dict(bk_paas_host=None), ["bk_paas_host is not set", "BK_PAAS_HOST", "module_defaults"]),
    (dict(timeout=0), ["timeout"]),
    (dict(retries=-1), ["retries"]),
    (dict(retries=11), ["retries"]),
    (dict(retry_delay=-0.5), ["retry_delay"]),
])
def test_bad_connection_options_are_named(overrides, words):
    with pytest.raises(InputError) as info:
        connection_settings(environ=NO_ENV, params=params(**overrides))
    for word in words:
        assert word in str(info.value)
    assert "S3cr3t-Value-XYZ" not in str(info.value)


def test_token_only_and_both_credentials():
    assert connection_settings(environ=NO_ENV, params=params(bk_username=None, bk_token="T0k"))["token"] == "T0k"
    both = connection_settings(environ=NO_ENV, params=params(bk_token="T0k"))
    assert credential_warnings(both) and "only bk_token is sent" in credential_warnings(both)[0]
    assert credential_warnings(connection_settings(environ=NO_ENV, params=params())) == []


def test_secrets_are_no_log_and_have_env_fallbacks():
    spec = connection_argument_spec()
    assert spec["bk_app_secret"]["no_log"] and spec["bk_token"]["no_log"]
    for name, env in [("bk_paas_host", "BK_PAAS_HOST"), ("bk_app_code", "BK_APP_CODE"), ("bk_app_secret", "BK_APP_SECRET")]:
        assert spec[name]["fallback"][1] == [env]
    assert "fallback" not in spec["bk_username"] and "fallback" not in spec["bk_token"]


ENV = {"BK_USERNAME": "env-user", "BK_TOKEN": "env-token"}


@pytest.mark.parametrize("username, token, environ, expected", [
    (None, None, ENV, ("env-user", "env-token")),
    (None, None, {"BK_TOKEN": "env-token"}, (None, "env-token")),
    (None, None, {"BK_USERNAME": " env-user ", "BK_TOKEN": ""}, ("env-user", None)),
    ("ops-bot", None, ENV, ("ops-bot", None)),
    (None, "task-token", ENV, (None, "task-token")),
    ("  ", "", ENV, ("env-user", "env-token")),
    # A blank token is no token: sent, it would displace the username and fail at ESB.
    ("ops-bot", "  ", ENV, ("ops-bot", None)),
    (None, None, {"BK_USERNAME": "env-user", "BK_TOKEN": " \n"}, ("env-user", None)),
])
def test_user_credentials_come_from_the_task_or_else_both_from_the_environment(username, token, environ, expected):
    settings = connection_settings(params(bk_username=username, bk_token=token), environ=environ)
    assert (settings["username"], settings["token"]) == expected


def test_ca_path_must_be_an_existing_file(tmp_path):
    with pytest.raises(InputError) as info:
        connection_settings(environ=NO_ENV, params=params(ca_path=str(tmp_path / "missing.pem")))
    assert "ca_path" in str(info.value)
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    assert connection_settings(environ=NO_ENV, params=params(ca_path=str(ca_file)))["ca_path"] == str(ca_file)


@pytest.mark.parametrize("content", ["", "not a certificate\n", "-----BEGIN PRIVATE KEY-----\n"])
def test_ca_path_must_hold_a_pem_certificate(tmp_path, content):
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        connection_settings(environ=NO_ENV, params=params(ca_path=str(ca_file)))
    assert "ca_path" in str(info.value) and "BEGIN CERTIFICATE" in str(info.value)


def test_ca_path_that_is_a_directory_is_refused(tmp_path):
    with pytest.raises(InputError) as info:
        connection_settings(environ=NO_ENV, params=params(ca_path=str(tmp_path)))
    assert "not a readable file" in str(info.value)


def test_no_connection_option_is_required_by_the_argument_spec():
    # Required ones are checked by connection_settings, so that Ansible reports a typo'd option
    # name as unsupported instead of hiding it behind "missing required arguments".
    assert not any(spec.get("required") for spec in connection_argument_spec().values())
