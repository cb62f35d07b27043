# -*- coding: utf-8 -*-
# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Typed errors for BlueKing CMDB calls.

Every error says which API was called and carries what a user needs to act on it: the
server's code, message, request id and permission object, or the HTTP status and a piece of
an unreadable body. Two flags drive the callers:

* ``retryable``: trying the same request again may succeed (throttling, a flaky gateway).
* ``ambiguous``: the server may have applied the request although we did not get a success
  answer: the reply was lost, timed out or unreadable, or is a failure not known to come
  before any change (see ``REFUSED_BEFORE_ANY_CHANGE``). A write that fails this way must be
  reconciled by reading the state back before anything is reported.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


# How many items (bad ids, refused instances) a message lists before summarising the rest.
MAX_LISTED = 10


def listed(items):
    """``"a, b, ... and 5 more"``: the first ``MAX_LISTED`` items of a message's list."""
    text = ", ".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        text += " and %d more" % (len(items) - MAX_LISTED)
    return text


class BkCmdbError(Exception):
    """Base class of every error this collection raises on purpose."""

    retryable = False
    ambiguous = False
    retry_after = None

    def __init__(self, message, api=None):
        super(BkCmdbError, self).__init__(message)
        self.message = message
        self.api = api

    def __str__(self):
        return self.message

    def result_fields(self):
        """Extra keys for the module result (beyond ``msg``)."""
        return {}


class InputError(BkCmdbError):
    """The task arguments are wrong; raised before any HTTP request."""


# ESB, CMDB and gateway answers meaning "slow down", never "no".
THROTTLE_CODES = frozenset((1199997, 1306429, 1642901, 1642902, 1642903, 1642904))
# ESB 1306201: ESB could not complete its call to CMDB; CMDB may or may not have run it.
UPSTREAM_FAILURE_CODES = frozenset((1306201,))
RETRY_HTTP_STATUSES = frozenset((429, 502, 503, 504))
# Answers that refuse a request before it changes anything: permission, associations, hosts
# below, built-in model, undecodable or invalid body, unknown model, IAM unreachable, a CMDB
# transaction that failed (and was rolled back), and ESB's refusals of the caller. Any other
# failure of a delete - ESB's 1306000 wrapping an unreadable CMDB answer, CMDB's 1199998 and
# 1199036 proxy failures, codes this module does not know - may follow a completed delete.
REFUSED_BEFORE_ANY_CHANGE = frozenset((
    9900403, 1101075, 1101030, 1199084, 1199000, 1199006, 1199011, 1199019, 1199045, 1199046, 1101001,
    1306401, 1306402, 1306403, 1306404, 1306405, 1306406,
))


# What to do about the deterministic refusals users meet most; the server's own messages
# name neither the instance nor the way out.
CODE_HINTS = {
    1101075: "an instance of the request is still associated with another existing instance; "
             "remove that association first (a smaller batch_size narrows down which one)",
    1101030: "hosts are bound below a mainline instance of the request; move them out of its modules first",
    1306403: "the application may not call this ESB component; apply for the component permission of bk_app_code",
    1306000: "ESB refused the call or could not read CMDB's answer (the message says which): for an application or "
             "user error check bk_app_code and bk_app_secret, renew an expired bk_token, or have the application allowed "
             "to use bk_username",
    1199045: "CMDB could not read the request's model or user (the message says which): for \"model ... not found\" "
             "check bk_obj_id (model ids are case-sensitive) and bk_supplier_account; \"request lost user header\" points "
             "at a proxy between ESB and CMDB",
}


def permission_actions(permission):
    """``["delete_comobj_6 (删除实例)", ...]`` from a 9900403 ``permission`` object; [] for anything else."""
    actions = permission.get("actions") if isinstance(permission, dict) else None
    named = []
    for action in actions if isinstance(actions, list) else []:
        if isinstance(action, dict) and action.get("id"):
            named.append("%s (%s)" % (action["id"], action["name"]) if action.get("name") else str(action["id"]))
    return named


class ApiError(BkCmdbError):
    """The server answered with a readable envelope that says the call failed."""

    def __init__(self, api, code, server_message, request_id=None, permission=None,
                 http_status=200, code_name=None, retry_after=None, note=None):
        self.code = code
        self.server_message = server_message
        self.request_id = request_id
        self.permission = permission
        self.http_status = http_status
        self.code_name = code_name
        self.retry_after = retry_after
        parts = ["code %s" % (code if code is not None else "(none: the reply had no error code)")]
        if code_name:
            parts[0] += " (%s)" % code_name
        if http_status != 200:
            parts.append("HTTP %s" % http_status)
        parts.append("message: %s" % (server_message if server_message else "(empty)"))
        parts.append("request_id: %s" % (request_id or "(none)"))
        actions = permission_actions(permission)
        if actions:
            # The action id is what the permission centre asks for; the rest of the object
            # stays in the result's ``permission`` key.
            parts.append("permission to apply for: %s" % ", ".join(actions))
        text = "%s failed: %s" % (api, ", ".join(parts))
        if note:
            text += " (%s)" % note
        if code in CODE_HINTS:
            text += " -- %s" % CODE_HINTS[code]
        super(ApiError, self).__init__(text, api=api)

    @property
    def retryable(self):
        return (self.code in THROTTLE_CODES or self.code in UPSTREAM_FAILURE_CODES
                or self.http_status in RETRY_HTTP_STATUSES)

    @property
    def ambiguous(self):
        # A 5xx from ESB or a gateway means the backend call may have happened; throttling
        # (429 and the throttle codes) and the gateway's other 4xx answers come before any work.
        if self.code in THROTTLE_CODES or self.http_status == 429:
            return False
        if self.code in UPSTREAM_FAILURE_CODES or self.http_status >= 500:
            return True
        if 400 <= self.http_status < 500:
            return False
        return self.code not in REFUSED_BEFORE_ANY_CHANGE

    def result_fields(self):
        fields = {"code": self.code, "request_id": self.request_id, "http_status": self.http_status}
        if self.permission is not None:
            fields["permission"] = self.permission
        return fields


class ReplyError(BkCmdbError):
    """The server answered, but not with a JSON envelope (HTML error page, plain text, empty)."""

    def __init__(self, api, http_status, path, content_type, excerpt, request_id=None, retry_after=None,
                 what="a body that is not a JSON envelope"):
        self.http_status = http_status
        self.request_id = request_id
        self.retry_after = retry_after
        text = "%s: HTTP %s from %s with %s (Content-Type: %s): %s" % (
            api, http_status, path, what, content_type or "none", excerpt if excerpt else "(empty body)")
        if http_status == 404:
            text += " -- check bk_paas_host: calls go to <bk_paas_host>/api/c/compapi/v2/cc/<api>/"
        elif 300 <= http_status < 400:
            text += " -- set bk_paas_host to the address ESB answers on directly (often https:// instead of http://)"
        super(ReplyError, self).__init__(text, api=api)

    @property
    def retryable(self):
        return self.http_status in RETRY_HTTP_STATUSES

    @property
    def ambiguous(self):
        # Proxies and gateways answer 5xx pages when they lost the backend's answer; a 200
        # with garbage may also follow a completed write.
        return self.http_status >= 500 or 200 <= self.http_status < 300

    def result_fields(self):
        return {"code": None, "request_id": self.request_id, "http_status": self.http_status}


class TopologyRefusal(BkCmdbError):
    """The ids are instances of a custom mainline level; refused after the look-up, before any write.

    CMDB deletes such an instance together with every lower level, set and module of the
    business topology below it, in one call that reports none of them: far more than the
    task lists, and nothing a check-mode run could show.
    """

    def __init__(self, obj_id, instances):
        self.instances = list(instances)
        names = listed(["%s (%s)" % (i["bk_inst_id"], i.get("bk_inst_name")) for i in self.instances])
        text = ("bk_obj_id %s is a custom level of the business topology (a mainline model): deleting %s would also "
                "delete every level, set and module below %s, which this module never does. Remove them in the "
                "business topology of the CMDB web UI instead" % (
                    obj_id, names, "it" if len(self.instances) == 1 else "them"))
        super(TopologyRefusal, self).__init__(text)

    def result_fields(self):
        return {"code": None, "request_id": None, "http_status": None}


class UnexpectedDataError(BkCmdbError):
    """A success envelope whose ``data`` lacks the documented shape; nothing is read from it."""

    def __init__(self, api, problem, request_id=None):
        self.request_id = request_id
        text = "%s answered success, but %s: the reply cannot be read, so nothing is concluded from it (request_id: %s)" % (
            api, problem, request_id or "(none)")
        super(UnexpectedDataError, self).__init__(text, api=api)

    def result_fields(self):
        return {"code": None, "request_id": self.request_id, "http_status": 200}


class TransportError(BkCmdbError):
    """No answer at all: connection refused or dropped, timeout, TLS or proxy failure."""

    def __init__(self, api, message, retryable, ambiguous):
        super(TransportError, self).__init__(message, api=api)
        self._retryable = retryable
        self._ambiguous = ambiguous

    @property
    def retryable(self):
        return self._retryable

    @property
    def ambiguous(self):
        return self._ambiguous

    def result_fields(self):
        return {"code": None, "request_id": None, "http_status": None}
