# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One function per CMDB API, and the dispatch table that maps ESB component names to them.

Each handler gets the State (its lock already held by the caller) and the authenticated Call,
returns the reply's `data` or raises ApiError. The order of checks inside each handler is the
server's order (bk_cmdb_contract.md §3, §4): tests depend on which error wins.
"""

from __future__ import annotations

import re
from datetime import datetime

from . import iam, query
from .errors import (
    DUPLICATE_ITEM, EXCEED_LIMIT, HAS_HOST, INNER_MODEL_FORBIDDEN, INST_DATA_NIL, INST_HAS_ASSOCIATION, JSON_UNMARSHAL_FAILED,
    MAINLINE_FORBIDDEN, NOT_FOUND, PARAM_IS_INVALID, PARAMS_INVALID, PARAMS_NEED_INT, PARAMS_NEED_SET, ApiError, cmdb_error,
)
from .state import INST_ID, now_iso

INT64 = (-(2 ** 63), 2 ** 63 - 1)
# Fields CMDB owns on every record; a body can't set them.
SYSTEM_FIELDS = frozenset((INST_ID, "bk_obj_id", "bk_supplier_account", "create_time", "last_time"))
STRING_TYPES = ("singlechar", "longchar")
MAX_LENGTH = {"singlechar": 256, "longchar": 2000}
MAX_BATCH_CREATE = 200


# --- shared checks ----------------------------------------------------------------------------

def _is_int64(value) -> bool:
    """Would Go's JSON decoder accept this as an int64? (No strings, floats or bools.)"""
    return isinstance(value, int) and not isinstance(value, bool) and INT64[0] <= value <= INT64[1]


def _inst_id(raw: str) -> int:
    """A path inst id, parsed like Go's strconv.ParseInt(raw, 10, 64).

    The id arrives as text (Call.path_param): JSON 12 as "12", 1.5 as "1.5", true as "true".
    Python's int() would also take "1_0", " 12" and non-ASCII digits; ParseInt takes none of them.
    """
    if not re.fullmatch(r"[+-]?[0-9]+", raw) or not _is_int64(int(raw)):
        raise cmdb_error(PARAMS_NEED_INT, "inst id")
    return int(raw)


def _ordinary_model(state, call, action, inst_ids=None, model=None, inner_first=False):
    """Model lookup, IAM, then the inner-model refusal: the order every instance API shares.

    ``inner_first`` is for handlers that refuse inner models before the permission check
    (search_inst_by_object, contract 3.3).
    """
    if model is None:
        model = iam.model_or_fail(state, call.path_param("bk_obj_id"))
    if inner_first and model["kind"] == "inner":
        raise cmdb_error(INNER_MODEL_FORBIDDEN)
    iam.authorize(state, call, model, action, inst_ids)
    if model["kind"] == "inner":
        raise cmdb_error(INNER_MODEL_FORBIDDEN)
    return model


def _decode(value, expected_type):
    """Go-style decoding of one body field: null is the zero value, a wrong type is 1199000."""
    if value is None:
        return expected_type()
    if not isinstance(value, expected_type):
        raise cmdb_error(JSON_UNMARSHAL_FAILED)
    return value


def _attributes(model):
    return {a["bk_property_id"]: a for a in model["attributes"]}


def _check_value(attr, value):
    """Validate one attribute value; returns it normalized (strings trimmed)."""
    prop_type, option = attr["bk_property_type"], attr.get("option")
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        return value
    ok = True
    if prop_type in STRING_TYPES or prop_type in ("objuser", "timezone"):
        ok = isinstance(value, str) and len(value) <= MAX_LENGTH.get(prop_type, 2000)
        if ok and prop_type in STRING_TYPES and isinstance(option, str) and option:
            ok = re.search(option, value) is not None
    elif prop_type == "int":
        ok = _is_int64(value)
        if ok and isinstance(option, dict):
            low, high = option.get("min"), option.get("max")
            ok = (low in (None, "") or value >= int(low)) and (high in (None, "") or value <= int(high))
    elif prop_type == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif prop_type == "bool":
        ok = isinstance(value, bool)
    elif prop_type in ("enum", "enummulti"):
        allowed = {o.get("id") for o in option or []}
        ok = value in allowed if prop_type == "enum" else isinstance(value, list) and set(value) <= allowed
    elif prop_type in ("date", "time"):
        layout = "%Y-%m-%d" if prop_type == "date" else "%Y-%m-%d %H:%M:%S"
        try:
            datetime.strptime(value, layout)
        except (TypeError, ValueError):
            ok = False
    if not ok:
        raise cmdb_error(PARAM_IS_INVALID, attr["bk_property_id"])
    return value


def _editable_values(model, data, creating):
    """Keep known, settable attributes and validate them; unknown keys are dropped (contract §3.6, §3.8)."""
    attrs = _attributes(model)
    kept = {}
    for key, value in data.items():
        attr = attrs.get(key)
        if attr is None or key in SYSTEM_FIELDS or attr.get("bk_issystem"):
            continue
        if not creating and not attr.get("editable", True):
            continue
        kept[key] = _check_value(attr, value)
    for attr in model["attributes"]:
        prop_id = attr["bk_property_id"]
        if not attr.get("isrequired") or attr.get("bk_issystem"):
            continue
        if (creating or prop_id in kept) and kept.get(prop_id) in (None, ""):
            raise cmdb_error(PARAMS_NEED_SET, prop_id)
    return kept


def _check_unique(state, model, record, supplier, staged=None):
    """bk_inst_name and every other isonly attribute are unique per model (bk_inst_name per parent on mainline levels).

    `staged` holds records changed earlier in the same transaction; they count instead of the stored ones.
    """
    table = {**state.records(model["bk_obj_id"], supplier), **(staged or {})}
    for attr in model["attributes"]:
        prop_id = attr["bk_property_id"]
        value = record.get(prop_id)
        if not attr.get("isonly") or value in (None, ""):
            continue
        for other in table.values():
            if other.get(INST_ID) == record.get(INST_ID) or other.get(prop_id) != value:
                continue
            # Only the bk_inst_name rule of a mainline level also covers bk_parent_id (contract 3.6).
            if model["kind"] == "mainline" and prop_id == "bk_inst_name" and other.get("bk_parent_id") != record.get("bk_parent_id"):
                continue
            raise cmdb_error(DUPLICATE_ITEM, prop_id)


# --- searches ---------------------------------------------------------------------------------

def _search_inst_rules(rules):
    """search_inst rules become a Mongo filter: $eq is equality, other operators pass through."""
    condition = {"$and": []}
    for rule in _decode(rules, list):
        if not isinstance(rule, dict) or not isinstance(rule.get("field"), str) or not isinstance(rule.get("operator"), str):
            raise cmdb_error(JSON_UNMARSHAL_FAILED)
        if rule["operator"] == "$eq":
            condition["$and"].append({rule["field"]: rule.get("value")})
        else:
            condition["$and"].append({rule["field"]: {rule["operator"]: rule.get("value")}})
    return condition if condition["$and"] else {}


def search_inst(state, call):
    model = _ordinary_model(state, call, "view")
    obj_id = model["bk_obj_id"]
    conditions = _decode(call.body.get("condition"), dict)
    fields = _decode(call.body.get("fields"), dict)
    page = _decode(call.body.get("page"), dict)
    records = query.mongo_filter(state.records(obj_id, call.supplier).values(), _search_inst_rules(conditions.get(obj_id)))
    for other_obj, rules in conditions.items():
        if other_obj == obj_id:
            continue
        # A condition on another model keeps the instances associated with its matches.
        matches = query.mongo_filter(state.records(other_obj, call.supplier).values(), _search_inst_rules(rules))
        other_field = state.id_field(other_obj)
        related = set()
        for match in matches:
            for association in state.associations_of(other_obj, match.get(other_field), call.supplier):
                partner_obj, partner_id = state.partner(association, other_obj, match.get(other_field))
                if partner_obj == obj_id:
                    related.add(partner_id)
        records = [r for r in records if r[INST_ID] in related]
    records = query.sort_records(records, page.get("sort"), INST_ID)
    selected = _decode(fields.get(obj_id), list)
    info = [query.project(r, selected) for r in query.page_slice(records, page)]
    return {"count": len(records), "info": info}


def search_inst_by_object(state, call):
    model = _ordinary_model(state, call, "view", inner_first=True)
    condition = _decode(call.body.get("condition"), dict)
    fields = _decode(call.body.get("fields"), list)
    page = _decode(call.body.get("page"), dict)
    records = query.mongo_filter(state.records(model["bk_obj_id"], call.supplier).values(), condition)
    records = query.sort_records(records, page.get("sort"), INST_ID)
    info = [query.project(r, fields) for r in query.page_slice(records, page)]
    count = 0 if call.body.get("disable_counter") else len(records)
    return {"count": count, "info": info}


def _query_builder_records(state, call, model):
    conditions = call.body.get("conditions")
    if conditions is not None and not isinstance(conditions, dict):
        # The body decodes into a typed struct: a string or list there fails at JSON decoding.
        raise cmdb_error(JSON_UNMARSHAL_FAILED)
    if conditions is not None:
        try:
            query.validate_rules(conditions)
        except query.QueryError as exc:
            raise cmdb_error(PARAMS_INVALID, "conditions: %s" % exc) from None
    return [r for r in state.records(model["bk_obj_id"], call.supplier).values() if query.rules_match(r, conditions)]


def _decode_int(value):
    """A Go int field: null is 0; a string, float, bool or out-of-range number is 1199000."""
    if value is None:
        return 0
    if not _is_int64(value):
        raise cmdb_error(JSON_UNMARSHAL_FAILED)
    return value


def search_object_instances(state, call):
    model = _ordinary_model(state, call, "view")
    # The whole body is decoded into Go types before anything is validated, so a type error wins.
    page = _decode(call.body.get("page"), dict)
    limit, start = _decode_int(page.get("limit")), _decode_int(page.get("start"))
    sort = _decode(page.get("sort"), str)
    fields = _decode(call.body.get("fields"), list)
    if not 1 <= limit <= 500:
        raise cmdb_error(PARAMS_INVALID, "page.limit")
    if start < 0:
        raise cmdb_error(PARAMS_INVALID, "page.start")
    records = _query_builder_records(state, call, model)
    records = query.sort_records(query.sort_records(records, None, INST_ID), sort or "create_time", INST_ID)
    return {"info": [query.project(r, fields) for r in records[start:start + limit]]}


def count_object_instances(state, call):
    model = _ordinary_model(state, call, "view")
    return {"count": len(_query_builder_records(state, call, model))}


def search_objects(state, call):
    models = []
    for model in state.models.values():
        public = {k: v for k, v in model.items() if k not in ("kind", "attributes")}
        public.update(bk_supplier_account="0")
        models.append(public)
    # The ESB adds the supplier account to this body, so it filters the models too.
    condition = dict(call.body, bk_supplier_account=call.supplier)
    return query.mongo_filter(models, condition)


def search_object_attribute(state, call):
    attributes = []
    for model in state.models.values():
        for index, attr in enumerate(model["attributes"]):
            attributes.append(dict(
                attr, id=model["id"] * 1000 + index + 1, bk_obj_id=model["bk_obj_id"], bk_supplier_account="0", bk_biz_id=0,
            ))
    condition = {k: v for k, v in call.body.items() if k != "bk_biz_id"}
    # CMDB never shows system or API-only attributes here (contract §3.10).
    condition.update(bk_supplier_account=call.supplier, bk_issystem=False, bk_isapi=False)
    return query.mongo_filter(attributes, condition)


# --- writes -----------------------------------------------------------------------------------

def _mainline_parent(state, model, record, supplier):
    """A custom mainline level needs bk_biz_id and an existing bk_parent_id one level up."""
    for field in ("bk_biz_id", "bk_parent_id"):
        if record.get(field) is None:
            raise cmdb_error(PARAMS_NEED_SET, field)
        if not _is_int64(record[field]):
            raise cmdb_error(PARAM_IS_INVALID, field)
    parent_obj = state.mainline[state.mainline.index(model["bk_obj_id"]) - 1]
    if state.find(parent_obj, record["bk_parent_id"], supplier) is None:
        raise cmdb_error(PARAM_IS_INVALID, "bk_parent_id")


def _new_record(state, model, body, supplier):
    """Validate a create body into the record to store (without id and timestamps)."""
    record = _editable_values(model, body, creating=True)
    for attr in model["attributes"]:
        if attr["bk_property_id"] not in record and not attr.get("bk_issystem"):
            # CMDB fills attributes left out, so every record has every attribute.
            record[attr["bk_property_id"]] = "" if attr["bk_property_type"] in STRING_TYPES else None
    if model["kind"] == "mainline":
        _mainline_parent(state, model, body, supplier)
        record.update(bk_biz_id=body["bk_biz_id"], bk_parent_id=body["bk_parent_id"])
    _check_unique(state, model, record, supplier)
    return record


def create_inst(state, call):
    model = _ordinary_model(state, call, "create")
    return dict(state.insert(model["bk_obj_id"], _new_record(state, model, call.body, call.supplier), call.supplier))


def batch_create_inst(state, call):
    model = _ordinary_model(state, call, "create")
    if model["kind"] == "mainline":
        raise cmdb_error(MAINLINE_FORBIDDEN)
    details = _decode(call.body.get("details"), list)
    if not details:
        raise cmdb_error(INST_DATA_NIL, "details")
    if len(details) > MAX_BATCH_CREATE:
        raise cmdb_error(EXCEED_LIMIT, "details", MAX_BATCH_CREATE)
    # Unlike the other writes this one is not a transaction: each detail succeeds or fails alone.
    created, errors = {}, {}
    for index, detail in enumerate(details):
        try:
            record = _new_record(state, model, _decode(detail, dict), call.supplier)
        except ApiError as exc:
            errors[str(index)] = exc.message
        else:
            created[str(index)] = state.insert(model["bk_obj_id"], record, call.supplier)[INST_ID]
    return {"success_created": created, "error_msg": errors}


def _apply_update(state, model, inst_id, data, supplier, staged):
    """Validate one update against the staged copies; returns the new record."""
    current = staged.get(inst_id) or state.find(model["bk_obj_id"], inst_id, supplier)
    if current is None:
        raise cmdb_error(NOT_FOUND)
    # The server never lets an update move an instance or change its id (contract §3.8).
    data = {k: v for k, v in data.items() if k not in ("bk_parent_id", "bk_biz_id", INST_ID)}
    updated = dict(current, **_editable_values(model, data, creating=False))
    updated["last_time"] = now_iso()
    _check_unique(state, model, updated, supplier, staged)
    return updated


def update_inst(state, call):
    # The ESB takes every path variable out of the body (1306406 when one is missing) before CMDB runs.
    obj_id, raw_id = call.path_param("bk_obj_id"), call.path_param(INST_ID)
    model = iam.model_or_fail(state, obj_id)
    inst_id = _inst_id(raw_id)
    _ordinary_model(state, call, "edit", [inst_id], model)
    state.table(model["bk_obj_id"], call.supplier)[inst_id] = _apply_update(state, model, inst_id, call.body, call.supplier, {})


def batch_update_inst(state, call):
    model = iam.model_or_fail(state, call.path_param("bk_obj_id"))
    raw_updates = call.body.get("update")
    auth_ids = [iam.gjson_int(u.get("inst_id")) for u in raw_updates if isinstance(u, dict)] if isinstance(raw_updates, list) else []
    _ordinary_model(state, call, "edit", auth_ids, model)
    updates = []
    for item in _decode(raw_updates, list):
        item = _decode(item, dict)
        inst_id = item.get("inst_id")
        if inst_id is not None and not _is_int64(inst_id):
            raise cmdb_error(JSON_UNMARSHAL_FAILED)
        if not inst_id:
            raise cmdb_error(PARAMS_INVALID, "inst_id")
        updates.append((inst_id, _decode(item.get("datas"), dict)))
    # One transaction: stage every change, commit only if all of them are valid.
    staged = {}
    for inst_id, data in updates:
        staged[inst_id] = _apply_update(state, model, inst_id, data, call.supplier, staged)
    state.table(model["bk_obj_id"], call.supplier).update(staged)


def _mainline_subtree(state, obj_id, inst_ids, supplier):
    """Everything below custom mainline instances: {obj_id: [ids]} and the hosts bound to it."""
    chain = state.mainline
    below = {}
    parents = list(inst_ids)
    level = chain.index(obj_id)
    while parents and chain[level + 1] != "module":
        child_obj = chain[level + 1]
        children = [
            cid for cid, rec in state.records(child_obj, supplier).items()
            if rec.get("bk_parent_id") in parents and (child_obj != "set" or not rec.get("default"))
        ]
        below[child_obj] = children
        parents, level = children, level + 1
    modules = [mid for mid, rec in state.records("module", supplier).items() if parents and rec.get("bk_set_id") in parents]
    below["module"] = modules
    hosts = [b["bk_host_id"] for b in state.host_modules if b.get("bk_supplier_account", "0") == supplier and b["bk_module_id"] in modules]
    return below, hosts


def _delete_instances(state, model, inst_ids, supplier):
    """The transaction of DeleteInstByInstID (contract §4 C): all checks first, then all changes."""
    obj_id = model["bk_obj_id"]
    table = state.records(obj_id, supplier)
    existing = [i for i in dict.fromkeys(inst_ids) if i in table]
    if not existing:
        return
    doomed = {obj_id: existing}
    if model["kind"] == "mainline":
        below, hosts = _mainline_subtree(state, obj_id, existing, supplier)
        if hosts:
            raise cmdb_error(HAS_HOST)
        for child_obj, ids in below.items():
            doomed.setdefault(child_obj, []).extend(ids)
    for doomed_obj, ids in doomed.items():
        for inst_id in ids:
            for association in state.associations_of(doomed_obj, inst_id, supplier):
                # A partner that still exists blocks the delete, even one deleted in this same batch.
                if state.find(*state.partner(association, doomed_obj, inst_id), supplier) is not None:
                    raise cmdb_error(INST_HAS_ASSOCIATION)
    gone = set()
    for doomed_obj, ids in doomed.items():
        doomed_table = state.table(doomed_obj, supplier)
        for inst_id in ids:
            doomed_table.pop(inst_id, None)
            gone.add((doomed_obj, inst_id))
    state.associations[:] = [
        a for a in state.associations
        if a.get("bk_supplier_account", "0") != supplier
        or ((a["bk_obj_id"], a["bk_inst_id"]) not in gone and (a["bk_asst_obj_id"], a["bk_asst_inst_id"]) not in gone)
    ]


def batch_delete_inst(state, call, model=None):
    model = model or iam.model_or_fail(state, call.path_param("bk_obj_id"))
    delete = call.body.get("delete")
    raw_ids = delete.get("inst_ids") if isinstance(delete, dict) else None
    # IAM reads every listed id leniently, before the body is decoded strictly.
    iam.authorize(state, call, model, "delete", [iam.gjson_int(i) for i in raw_ids] if isinstance(raw_ids, list) else [])
    inst_ids = _decode(_decode(delete, dict).get("inst_ids"), list)
    if not all(_is_int64(i) for i in inst_ids):
        raise cmdb_error(JSON_UNMARSHAL_FAILED)
    if model["kind"] == "inner":
        raise cmdb_error(INNER_MODEL_FORBIDDEN)
    _delete_instances(state, model, inst_ids, call.supplier)


def delete_inst(state, call):
    obj_id, raw_id = call.path_param("bk_obj_id"), call.path_param(INST_ID)
    model = iam.model_or_fail(state, obj_id)
    if raw_id == "batch":
        # CMDB routes inst id "batch" to the batch delete (contract §3.2).
        batch_delete_inst(state, call, model)
        return
    inst_id = _inst_id(raw_id)
    _ordinary_model(state, call, "delete", [inst_id], model)
    _delete_instances(state, model, [inst_id], call.supplier)


HANDLERS = {
    "search_inst": search_inst,
    "search_inst_by_object": search_inst_by_object,
    "search_object_instances": search_object_instances,
    "count_object_instances": count_object_instances,
    "search_objects": search_objects,
    "search_object_attribute": search_object_attribute,
    "create_inst": create_inst,
    "batch_create_inst": batch_create_inst,
    "update_inst": update_inst,
    "batch_update_inst": batch_update_inst,
    "delete_inst": delete_inst,
    "batch_delete_inst": batch_delete_inst,
}
