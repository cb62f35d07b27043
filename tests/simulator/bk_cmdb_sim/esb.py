# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ESB in front of CMDB: app and user authentication, component permission, the envelope.

Texts and order follow the open-source ESB (bk_cmdb_contract.md §1.2).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from .errors import ESB_APP_PERMISSION_DENIED, ESB_ARGUMENT_ERROR, ESB_COMMON_ERROR, ESB_COMPONENT_NOT_FOUND, ApiError, esb_error

# The ESB strips these before the body reaches CMDB.
CREDENTIAL_FIELDS = ("bk_app_code", "bk_app_secret", "bk_username", "bk_token")


@dataclass
class Call:
    """One authenticated API call as CMDB sees it: the body without credentials or account."""

    api: str
    body: dict
    username: str
    supplier: str

    def path_param(self, name: str) -> str:
        """A {name} variable of the CMDB URL: the ESB moves it from the body into the path."""
        value = self.body.pop(name, None)
        if value is None or value == "":
            raise esb_error(ESB_ARGUMENT_ERROR, "Parameters error, param %s is required" % name)
        # The ESB formats it into the URL, so CMDB only ever sees its string form.
        return value if isinstance(value, str) else json.dumps(value)


def is_esb_code(code) -> bool:
    """Is this one of the ESB's own 1306xxx codes (contract §1.2), not a CMDB code passed through?"""
    return isinstance(code, int) and not isinstance(code, bool) and 1306000 <= code <= 1306999


def request_id() -> str:
    return uuid.uuid4().hex


def component_not_found(api: str) -> ApiError:
    return esb_error(ESB_COMPONENT_NOT_FOUND, "Not found, component class not found [system_name: CC, component_name: %s]" % api)


def parse_body(raw: str) -> dict:
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise esb_error(ESB_COMMON_ERROR, "Request parameter error, the request body is not a valid JSON: %s" % exc) from exc
    if not isinstance(body, dict):
        raise esb_error(ESB_COMMON_ERROR, "Request parameter error, the request body must be a JSON object")
    return body


def _user(state, app: dict, body: dict) -> str:
    # A non-empty bk_token is decisive: a bad one fails even next to a valid bk_username.
    token = body.get("bk_token")
    if token:
        username = state.tokens.get(token) if isinstance(token, str) else None
        if username is None:
            raise esb_error(ESB_COMMON_ERROR, "User authentication failed, please check if the bk_token is valid")
        return username
    username = body.get("bk_username")
    if username and isinstance(username, str) and app.get("skip_user_auth"):
        return username
    raise esb_error(ESB_COMMON_ERROR, "User authentication failed, please provide a valid user identity, such as bk_token, bk_username")


def authenticate(state, api: str, body: dict) -> Call:
    """Check credentials and component permission; return the call CMDB would receive."""
    app_code = body.get("bk_app_code")
    if not app_code:
        raise esb_error(ESB_COMMON_ERROR, "APP Code [bk_app_code] cannot be empty")
    secret = body.get("bk_app_secret")
    if not secret:
        raise esb_error(ESB_COMMON_ERROR, "APP Secret [bk_app_secret] cannot be empty")
    app = state.apps.get(app_code) if isinstance(app_code, str) else None
    if app is None:
        raise esb_error(ESB_COMMON_ERROR, "Invalid APP Code [bk_app_code=%s], please confirm if the APP Code has been registered" % app_code)
    if secret != app.get("secret"):
        raise esb_error(
            ESB_COMMON_ERROR,
            "APP Secret verification failed, pelase confirm if the APP Secret and APP Code [bk_app_code=%s] match" % app_code,
        )
    username = _user(state, app, body)
    if api in app.get("denied_components", []):
        raise esb_error(
            ESB_APP_PERMISSION_DENIED,
            "APP has no permission to access the component (%s) of the system (CC). "
            "The APP manager can go to the Developer Center and apply for permission to access the component" % api,
        )
    cmdb_body = {k: v for k, v in body.items() if k not in CREDENTIAL_FIELDS}
    supplier = cmdb_body.pop("bk_supplier_account", None)
    supplier = "0" if supplier in (None, "") else str(supplier)
    return Call(api=api, body=cmdb_body, username=username, supplier=supplier)


def success(data) -> dict:
    return {"result": True, "code": 0, "message": "success", "permission": None, "request_id": request_id(), "data": data}


def failure(error: ApiError) -> dict:
    reply = {"result": False, "code": error.code, "message": error.message, "permission": error.permission, "request_id": request_id(), "data": None}
    if error.esb:
        del reply["permission"]
    return reply
