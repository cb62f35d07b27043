# -*- coding: utf-8 -*-
# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Connection options shared by every module, and the client built from them.

One table feeds the argument spec; the doc fragment ``blueking.cmdb.connection`` documents
the same options (ansible-test's validate-modules keeps the two in step).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import os

from urllib.parse import urlparse

from ansible.module_utils.basic import env_fallback

from ansible_collections.blueking.cmdb.plugins.module_utils.client import EsbClient
from ansible_collections.blueking.cmdb.plugins.module_utils.errors import InputError

MAX_RETRIES = 10
# Upper bounds keep a typo (timeout: 3e9) from hanging a job, and keep the numbers within what
# the socket layer accepts; inf and NaN would reach it otherwise.
MAX_TIMEOUT = 3600.0
MAX_RETRY_DELAY = 60.0


def connection_argument_spec():
    # The first three are required, but checked by connection_settings() rather than with
    # required=True: Ansible reports missing required options before unknown ones, which hides
    # a typo such as "bk_pass_host:" behind "missing bk_paas_host", and its message names
    # neither the environment variable nor module_defaults.
    return dict(
        bk_paas_host=dict(type="str", fallback=(env_fallback, ["BK_PAAS_HOST"])),
        bk_app_code=dict(type="str", fallback=(env_fallback, ["BK_APP_CODE"])),
        bk_app_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["BK_APP_SECRET"])),
        # No env fallback for these two: see user_credentials().
        bk_username=dict(type="str"),
        bk_token=dict(type="str", no_log=True),
        bk_supplier_account=dict(type="str", default="0"),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="float", default=30.0),
        retries=dict(type="int", default=3),
        retry_delay=dict(type="float", default=1.0),
    )


def _blank_to_none(value):
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def normalize_base_url(value):
    """``https://paas.example.com/`` -> ``https://paas.example.com``; anything but http(s) is an error."""
    text = _blank_to_none(value)
    if text is None:
        raise InputError("bk_paas_host is not set: give it in the task, in module_defaults (group/blueking.cmdb.cmdb) "
                         "or as the BK_PAAS_HOST environment variable, for example https://paas.example.com")
    try:
        parsed = urlparse(text)
        # Reading the port validates it ("https://paas:99999" and "http://[" raise ValueError).
        parsed.port  # pylint: disable=pointless-statement
    except ValueError as error:
        raise InputError("bk_paas_host is not a valid URL (%s), got %r" % (error, value))
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InputError("bk_paas_host must be an http:// or https:// URL such as https://paas.example.com, got %r" % (value,))
    if parsed.query or parsed.fragment:
        raise InputError("bk_paas_host must not carry a query string or fragment, got %r" % (value,))
    return text.rstrip("/")


def user_credentials(params, environ):
    """``(username, token)`` from the task, else from BK_USERNAME / BK_TOKEN.

    The two are one setting: when the play names either, both environment variables are
    ignored. Bound option by option, a stale BK_TOKEN left in an AWX credential would
    override the bk_username a play sets, and ESB would reject the run on the token.
    """
    # A blank token (an unset AWX credential field gives " " or "") is no token: sent, it would
    # displace bk_username and ESB would reject the run on it.
    username = _blank_to_none(params.get("bk_username"))
    token = _blank_to_none(params.get("bk_token"))
    if username or token:
        return username, token
    return _blank_to_none(environ.get("BK_USERNAME")), _blank_to_none(environ.get("BK_TOKEN"))


def connection_settings(params, environ=None):
    """Validate the connection options; returns a dict of ``EsbClient`` keyword arguments.

    Raises ``InputError`` before any HTTP call, naming the option. Secrets never appear in
    the messages.
    """
    app_code = _blank_to_none(params.get("bk_app_code"))
    if not app_code:
        raise InputError("bk_app_code is not set: give it in the task, in module_defaults (group/blueking.cmdb.cmdb) "
                         "or as the BK_APP_CODE environment variable")
    app_secret = params.get("bk_app_secret") or None
    # Checked blank, passed on as given: a secret may legitimately end in a space.
    if not _blank_to_none(app_secret):
        raise InputError("bk_app_secret is not set: give it in the task (from a vault), in module_defaults "
                         "(group/blueking.cmdb.cmdb) or as the BK_APP_SECRET environment variable")
    username, token = user_credentials(params, os.environ if environ is None else environ)
    if not username and not token:
        raise InputError(
            "one of bk_username or bk_token is required (or the BK_USERNAME / BK_TOKEN environment "
            "variables): bk_username works for apps that ESB lets skip user login, bk_token otherwise")
    timeout = params.get("timeout")
    if not _number_within(timeout, 0, MAX_TIMEOUT) or timeout == 0:
        raise InputError("timeout must be a number of seconds greater than 0 and at most %g, got %r" % (MAX_TIMEOUT, timeout))
    retries = params.get("retries")
    if retries is None or not 0 <= retries <= MAX_RETRIES:
        raise InputError("retries must be between 0 and %d, got %r" % (MAX_RETRIES, retries))
    retry_delay = params.get("retry_delay")
    if not _number_within(retry_delay, 0, MAX_RETRY_DELAY):
        raise InputError("retry_delay must be between 0 and %g seconds, got %r" % (MAX_RETRY_DELAY, retry_delay))
    ca_path = params.get("ca_path") or None
    if ca_path:
        check_ca_file(ca_path)
    supplier_account = _blank_to_none(params.get("bk_supplier_account")) or "0"
    return dict(
        base_url=normalize_base_url(params.get("bk_paas_host")),
        app_code=app_code,
        app_secret=app_secret,
        username=username,
        token=token,
        supplier_account=supplier_account,
        validate_certs=params.get("validate_certs", True),
        ca_path=ca_path,
        timeout=timeout,
        retries=retries,
        retry_delay=retry_delay,
    )


def _number_within(value, low, high):
    """A real number in [low, high]: NaN fails every comparison and would pass a plain ``< 0``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and low <= value <= high


PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


def check_ca_file(path):
    """Refuse a ``ca_path`` that is not a PEM certificate file before any call.

    Left to the TLS layer, a missing or non-PEM file fails the first call with an error that
    reads like a certificate problem of the server.
    """
    what = "it must be a PEM file of the CA certificate(s) that signed the server's certificate"
    try:
        with open(path, "rb") as ca_file:
            content = ca_file.read(1024 * 1024)
    except (IOError, OSError) as error:
        raise InputError("ca_path %s is not a readable file (%s): %s" % (path, getattr(error, "strerror", None) or error, what))
    except ValueError as error:
        # A path with a NUL byte, for one.
        raise InputError("ca_path %r is not a usable path (%s): %s" % (path, error, what))
    if PEM_CERTIFICATE.encode("ascii") not in content:
        raise InputError("ca_path %s holds no %s line: %s" % (path, PEM_CERTIFICATE, what))


def credential_warnings(settings):
    """Say which credential ESB will see when both were given."""
    if settings["username"] and settings["token"]:
        return ["both bk_token and bk_username are set: only bk_token is sent, because ESB authenticates "
                "with bk_token first and rejects the request if the token is invalid"]
    return []


def client_from_settings(settings, warn=None):
    return EsbClient(warn=warn, **settings)
