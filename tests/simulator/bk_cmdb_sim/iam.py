# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CMDB's IAM check, reduced to per-user deny rules (README.md, "Users and permissions").

A rule is "<action>", "<action>:<bk_obj_id>" or "<action>:<bk_obj_id>:<bk_inst_id>" with action
one of view, create, edit, delete. Users without rules (and unknown users) may do everything.
"""

from __future__ import annotations

from .errors import NO_PERMISSION, PARSE_AUTH_ATTRIBUTE_FAILED, cmdb_error

ACTIONS = ("view", "create", "edit", "delete")
ACTION_NAMES = {"view": "查看", "create": "新建", "edit": "编辑", "delete": "删除"}
SYSTEM = {"system_id": "bk_cmdb", "system_name": "配置平台"}


def model_or_fail(state, obj_id):
    """The auth parser looks the model up first: an unknown one fails before anything else."""
    model = state.model(obj_id)
    if model is None:
        raise cmdb_error(PARSE_AUTH_ATTRIBUTE_FAILED, obj_id)
    return model


def gjson_int(value) -> int:
    """How the auth parser reads an id (gjson .Int()): lenient, so "46" counts as 46."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value.strip()))
        except ValueError:
            return 0
    return 0


def _denied(state, username, action, obj_id, inst_id):
    rules = state.users.get(username, {}).get("deny", [])
    for rule in rules:
        parts = rule.split(":")
        if parts[0] != action:
            continue
        if len(parts) == 1 or (parts[1] == obj_id and (len(parts) == 2 or parts[2] == str(inst_id))):
            return True
    return False


def _instance_ref(state, model, inst_id, supplier):
    record = state.find(model["bk_obj_id"], inst_id, supplier) or {}
    return {
        "type": "comobj_%s" % model["id"],
        "type_name": model["bk_obj_name"],
        "id": str(inst_id),
        "name": str(record.get("bk_inst_name", "")),
    }


def permission(state, model, action, inst_ids, supplier):
    """The `permission` object of a 9900403 reply (contract §6); instances only when there are any."""
    resource = dict(SYSTEM, type="comobj_%s" % model["id"], type_name=model["bk_obj_name"])
    if inst_ids:
        resource["instances"] = [[_instance_ref(state, model, i, supplier)] for i in inst_ids]
    return dict(SYSTEM, actions=[{
        "id": "%s_comobj_%s" % (action, model["id"]),
        "name": "%s%s" % (ACTION_NAMES[action], model["bk_obj_name"]),
        "related_resource_types": [resource],
    }])


def authorize(state, call, model, action, inst_ids=None):
    """Raise 9900403 unless the caller may do `action` on the model (and on every listed id)."""
    obj_id = model["bk_obj_id"]
    if inst_ids is None:
        if _denied(state, call.username, action, obj_id, None):
            raise cmdb_error(NO_PERMISSION, permission=permission(state, model, action, [], call.supplier))
        return
    # One auth resource per listed id, duplicates included; no ids means nothing to authorize.
    denied = [i for i in inst_ids if _denied(state, call.username, action, obj_id, i)]
    if denied:
        raise cmdb_error(NO_PERMISSION, permission=permission(state, model, action, denied, call.supplier))
