# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The default state: models of a fresh CMDB, registered ESB apps, tokens and users.

Everything here is plain data in the state JSON format (see README.md), so a test can dump
it, change it and load it back.
"""

from __future__ import annotations

import copy

INNER_MODELS = ("biz", "set", "module", "host", "process", "plat", "bk_biz_set_obj", "bk_project")

# Inner models keep their own id field and id sequence; every other model shares bk_inst_id
# (contract §8).
ID_FIELDS = {
    "biz": "bk_biz_id",
    "set": "bk_set_id",
    "module": "bk_module_id",
    "host": "bk_host_id",
    "process": "bk_process_id",
    "plat": "bk_cloud_id",
    "bk_biz_set_obj": "bk_biz_set_id",
    "bk_project": "id",
}
NAME_FIELDS = {
    "biz": "bk_biz_name",
    "set": "bk_set_name",
    "module": "bk_module_name",
    "host": "bk_host_name",
    "process": "bk_process_name",
    "plat": "bk_cloud_name",
    "bk_biz_set_obj": "bk_biz_set_name",
    "bk_project": "bk_project_name",
}

PRESET_MODELS = (
    ("bk_switch", "交换机"),
    ("bk_router", "路由器"),
    ("bk_load_balance", "负载均衡"),
    ("bk_firewall", "防火墙"),
)

IP_PATTERN = r"^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$"


def attribute(prop_id, name, prop_type="singlechar", required=False, unique=False, option=None, system=False):
    """One model attribute as search_object_attribute returns it (contract §3.10)."""
    if option is None:
        option = [] if prop_type == "enum" else ""
    return {
        "bk_property_id": prop_id,
        "bk_property_name": name,
        "bk_property_type": prop_type,
        "isrequired": required,
        "isonly": unique,
        "editable": not system,
        "isreadonly": False,
        "ispre": True,
        "bk_issystem": system,
        "bk_isapi": False,
        "option": option,
        "unit": "",
        "placeholder": "",
        "bk_property_group": "default",
        "bk_property_group_name": "基础信息",
    }


def preset_attributes():
    """The 11 attributes every preset network model has (preset_models.md)."""
    status = [
        {"id": "1", "name": "待运营", "type": "text", "is_default": False},
        {"id": "2", "name": "运营中", "type": "text", "is_default": True},
        {"id": "3", "name": "已下架", "type": "text", "is_default": False},
    ]
    return [
        attribute("bk_asset_id", "固资编号", required=True, unique=True),
        attribute("bk_inst_name", "名称", required=True, unique=True),
        attribute("bk_sn", "SN"),
        attribute("bk_func", "用途"),
        attribute("bk_vendor", "厂商"),
        attribute("bk_model", "设备型号"),
        attribute("bk_admin_ip", "管理IP", option=IP_PATTERN),
        attribute("bk_operator", "维护人"),
        attribute("bk_os_detail", "操作系统详情"),
        attribute("bk_detail", "详细描述", prop_type="longchar"),
        attribute("bk_biz_status", "运营状态", prop_type="enum", option=status),
    ]


def inner_attributes(obj_id):
    # Only the name is modelled for inner models; the simulator never validates their records.
    return [attribute(NAME_FIELDS[obj_id], "名称", required=True)]


def model(numeric_id, obj_id, name, classification, kind, attributes):
    return {
        "id": numeric_id,
        "bk_obj_id": obj_id,
        "bk_obj_name": name,
        "bk_classification_id": classification,
        "bk_obj_icon": "icon-cc-default",
        "bk_ispaused": False,
        "ispre": True,
        "kind": kind,
        "attributes": attributes,
    }


def default_models():
    # Numeric ids follow the order a fresh CMDB creates its models in; tests only need
    # them to be stable because they appear in IAM names (comobj_<id>).
    inner = [
        (1, "biz", "业务", "bk_organization"),
        (2, "set", "集群", "bk_biz_topo"),
        (3, "module", "模块", "bk_biz_topo"),
        (4, "host", "主机", "bk_host_manage"),
        (5, "process", "进程", "bk_host_manage"),
        (6, "plat", "云区域", "bk_host_manage"),
        (11, "bk_biz_set_obj", "业务集", "bk_organization"),
        (12, "bk_project", "项目", "bk_organization"),
    ]
    models = [model(num, obj, name, cls, "inner", inner_attributes(obj)) for num, obj, name, cls in inner]
    for offset, (obj, name) in enumerate(PRESET_MODELS):
        models.append(model(7 + offset, obj, name, "bk_network", "ordinary", preset_attributes()))
    models.sort(key=lambda m: m["id"])
    return models


DEFAULT_STATE = {
    "models": default_models(),
    "mainline": ["biz", "set", "module", "host"],
    "object_associations": [
        {
            "bk_obj_asst_id": "bk_switch_connect_host",
            "bk_obj_id": "bk_switch",
            "bk_asst_obj_id": "host",
            "bk_asst_id": "connect",
            "mapping": "n:n",
            "ispre": True,
        },
    ],
    "instances": {
        "0": {
            # Every CMDB has the resource-pool business.
            "biz": [{"bk_biz_id": 1, "bk_biz_name": "资源池", "default": 1}],
        },
    },
    "associations": [],
    "host_modules": [],
    "next_ids": {},
    "apps": {
        "ansible-test": {"secret": "sim-secret-ansible-test", "skip_user_auth": True, "denied_components": []},
        "token-only-app": {"secret": "sim-secret-token-only", "skip_user_auth": False, "denied_components": []},
        "no-delete-app": {
            "secret": "sim-secret-no-delete",
            "skip_user_auth": True,
            "denied_components": ["batch_delete_inst", "delete_inst"],
        },
    },
    "tokens": {"sim-token-ops-bot": "ops-bot"},
    "users": {
        "ops-bot": {"deny": []},
        "auditor": {"deny": ["create", "edit", "delete"]},
    },
}


def default_state():
    """A fresh copy of the default state (callers may mutate it)."""
    return copy.deepcopy(DEFAULT_STATE)
