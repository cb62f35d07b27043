# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error codes and texts the simulated ESB and CMDB answer with (bk_cmdb_contract.md §1.2, §7)."""

from __future__ import annotations

# ESB's own codes (contract §1.2).
ESB_COMMON_ERROR = 1306000
ESB_APP_PERMISSION_DENIED = 1306403
ESB_COMPONENT_NOT_FOUND = 1306404
ESB_ARGUMENT_ERROR = 1306406

# CMDB codes (contract §7).
NO_PERMISSION = 9900403
JSON_UNMARSHAL_FAILED = 1199000
PARAMS_INVALID = 1199006
PARAMS_NEED_INT = 1199009
PARAMS_NEED_SET = 1199010
PARAM_IS_INVALID = 1199011
DUPLICATE_ITEM = 1199014
DB_SELECT_FAILED = 1199017
NOT_FOUND = 1199019
EXCEED_LIMIT = 1199035
INST_DATA_NIL = 1199038
PARSE_AUTH_ATTRIBUTE_FAILED = 1199045
MAINLINE_FORBIDDEN = 1199075
INNER_MODEL_FORBIDDEN = 1199084
HAS_HOST = 1101030
INST_HAS_ASSOCIATION = 1101075

MESSAGES = {
    NO_PERMISSION: "Do not have access permission.",
    JSON_UNMARSHAL_FAILED: "Deserializing JSON data failed",
    PARAMS_INVALID: "'{}' data parameter verification does not pass",
    PARAMS_NEED_INT: "'{}' parameters must be integral",
    PARAMS_NEED_SET: "'{}' unassigned",
    PARAM_IS_INVALID: "'{}' the parameter is invalid or does not exist",
    DUPLICATE_ITEM: "duplicated instances exist, fields [{}] duplicated",
    DB_SELECT_FAILED: "Failed to query data",
    NOT_FOUND: "No relevant data found",
    EXCEED_LIMIT: "{} exceed the limit {}",
    INST_DATA_NIL: "need data {} is null",
    PARSE_AUTH_ATTRIBUTE_FAILED: "model [map[bk_obj_id:{}]] not found",
    MAINLINE_FORBIDDEN: "forbidden operate mainline model instance with common instance API",
    INNER_MODEL_FORBIDDEN: "forbidden operate inner model instance with common instance API",
    HAS_HOST: "Having hosts under the target, deleting forbidden",
    INST_HAS_ASSOCIATION: "the inst has association",
}


class ApiError(Exception):
    """A failure envelope: raised anywhere below a handler, rendered once by the server."""

    def __init__(self, code: int, message: str, permission: dict | None = None, esb: bool = False):
        super().__init__(message)
        self.code = code
        self.message = message
        self.permission = permission
        # ESB-level failures carry no "permission" key at all (contract §1.2).
        self.esb = esb


def cmdb_error(code: int, *details, permission: dict | None = None) -> ApiError:
    """Build a CMDB error with its English template filled with `details`."""
    return ApiError(code, MESSAGES[code].format(*details), permission=permission)


def esb_error(code: int, message: str) -> ApiError:
    return ApiError(code, message, esb=True)
