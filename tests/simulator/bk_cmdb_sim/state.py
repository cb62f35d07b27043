# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Everything the simulator remembers, in one object guarded by one lock.

The CMDB side (models, instances, associations, topology, apps, users) round-trips through
the state JSON format of README.md; the test-harness side (request log, queued faults) does not.
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from datetime import datetime, timedelta, timezone

from . import catalog
from .faults import validate_fault

CST = timezone(timedelta(hours=8))
INST_ID = "bk_inst_id"
STATE_KEYS = tuple(catalog.DEFAULT_STATE)
# The JSON shape of each top-level key (container, entry type) and the keys every entry needs:
# what the handlers index into, so a bad seed fails on load rather than as a 500 later.
SHAPES = {
    "models": (list, dict, ("bk_obj_id",)),
    "mainline": (list, str, ()),
    "object_associations": (list, dict, ("bk_obj_asst_id",)),
    "instances": (dict, dict, ()),
    "associations": (list, dict, ("id", "bk_obj_id", "bk_inst_id", "bk_asst_obj_id", "bk_asst_inst_id")),
    "host_modules": (list, dict, ("bk_host_id", "bk_module_id")),
    "next_ids": (dict, int, ()),
    "apps": (dict, dict, ()),
    "tokens": (dict, str, ()),
    "users": (dict, dict, ()),
}


def now_iso() -> str:
    """CMDB's time format, e.g. 2022-01-05T17:28:27.069+08:00."""
    return datetime.now(CST).isoformat(timespec="milliseconds")


def _normalize_model(raw, numeric_id):
    obj_id = raw["bk_obj_id"]
    if not isinstance(obj_id, str) or not obj_id:
        raise ValueError("a model's bk_obj_id must be a non-empty string, not %r" % (obj_id,))
    kind = "inner" if obj_id in catalog.INNER_MODELS else raw.get("kind", "ordinary")
    if kind not in ("inner", "ordinary", "mainline"):
        raise ValueError("model %s: kind must be ordinary or mainline, not %r" % (obj_id, kind))
    attributes = raw.get("attributes")
    if attributes is None:
        attributes = [catalog.attribute("bk_inst_name", "实例名", required=True, unique=True)]
    attributes = [{**catalog.attribute(a["bk_property_id"], a["bk_property_id"]), "ispre": False, **a} for a in attributes]
    if kind == "mainline" and not any(a["bk_property_id"] == "bk_parent_id" for a in attributes):
        attributes.append(catalog.attribute("bk_parent_id", "父节点", prop_type="int", system=True))
    return {
        "id": raw.get("id", numeric_id),
        "bk_obj_id": obj_id,
        "bk_obj_name": raw.get("bk_obj_name", obj_id),
        "bk_classification_id": raw.get("bk_classification_id", "bk_uncategorized"),
        "bk_obj_icon": raw.get("bk_obj_icon", "icon-cc-default"),
        "bk_ispaused": raw.get("bk_ispaused", False),
        "ispre": raw.get("ispre", False),
        "kind": kind,
        "attributes": attributes,
    }


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_shapes(merged):
    for key, (container, entry_type, needed) in SHAPES.items():
        value = merged[key]
        shape = "%s of %s" % ("an object" if container is dict else "an array", entry_type.__name__)
        if not isinstance(value, container):
            raise ValueError("%s must be %s" % (key, shape))
        entries = list(value.values()) if container is dict else value
        if not all(isinstance(e, entry_type) and not isinstance(e, bool) for e in entries):
            raise ValueError("%s must be %s" % (key, shape))
        for entry in entries:
            missing = [k for k in needed if k not in entry]
            if missing:
                raise ValueError("%s: an entry lacks %s" % (key, ", ".join(missing)))
    for name, user in merged["users"].items():
        deny = user.get("deny", [])
        if not isinstance(deny, list) or not all(isinstance(rule, str) for rule in deny):
            raise ValueError("users.%s.deny must be an array of strings" % name)
    for code, app in merged["apps"].items():
        # A string here would turn the component check into a substring test.
        denied = app.get("denied_components", [])
        if not isinstance(denied, list) or not all(isinstance(api, str) for api in denied):
            raise ValueError("apps.%s.denied_components must be an array of strings" % code)
        if not isinstance(app.get("secret"), str):
            raise ValueError("apps.%s.secret must be a string" % code)
        if not isinstance(app.get("skip_user_auth", False), bool):
            raise ValueError("apps.%s.skip_user_auth must be true or false" % code)


def _check_mainline(chain, models):
    if chain[:1] != ["biz"] or chain[-3:] != ["set", "module", "host"]:
        raise ValueError("mainline must start with biz and end with set, module, host")
    for obj_id in chain[1:-3]:
        if models.get(obj_id, {}).get("kind") != "mainline":
            raise ValueError("mainline level %s must be a model of kind mainline" % obj_id)
    for obj_id, model in models.items():
        if model["kind"] == "mainline" and obj_id not in chain:
            raise ValueError("mainline model %s is not in mainline" % obj_id)


def _load_instances(raw_instances):
    """supplier -> model -> records into supplier -> model -> {id: record}.

    Each id field is one sequence across all models and accounts (every ordinary model draws
    bk_inst_id from the same one, contract §8), so an id used twice is refused.
    """
    instances, owners = {}, {}
    for supplier, per_model in raw_instances.items():
        if not isinstance(per_model, dict):
            raise ValueError("instances.%s must be an object of model -> records" % supplier)
        for obj_id, records in per_model.items():
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise ValueError("instances.%s.%s must be an array of objects" % (supplier, obj_id))
            id_field = catalog.ID_FIELDS.get(obj_id, INST_ID)
            table = instances.setdefault(str(supplier), {}).setdefault(obj_id, {})
            for record in records:
                inst_id = record.get(id_field)
                if not _is_int(inst_id):
                    raise ValueError("instances.%s.%s: a record without an integer %s" % (supplier, obj_id, id_field))
                where = "%s/%s" % (supplier, obj_id)
                first = owners.setdefault((id_field, inst_id), where)
                if first != where or inst_id in table:
                    raise ValueError("%s %d is used twice (%s and %s)" % (id_field, inst_id, first, where))
                table[inst_id] = record
    return instances


def _next_ids(given, instances, associations):
    """Next free id per sequence: the given value, but never one already in use."""
    highest = {INST_ID: 0, "association": 0}
    highest.update({field: 0 for field in catalog.ID_FIELDS.values()})
    for per_model in instances.values():
        for obj_id, table in per_model.items():
            field = catalog.ID_FIELDS.get(obj_id, INST_ID)
            highest[field] = max([highest[field]] + list(table))
    if not all(_is_int(a["id"]) for a in associations):
        raise ValueError("association ids must be integers")
    highest["association"] = max([0] + [a["id"] for a in associations])
    return {field: max(int(given.get(field, 1)), top + 1) for field, top in highest.items()}


class State:
    """The simulated CMDB. Hold `lock` while reading or changing anything."""

    def __init__(self, data: dict | None = None):
        self.lock = threading.RLock()
        self.request_log: list[dict] = []
        self.faults: dict[str, deque] = {}
        self._seq = 0
        self.load(catalog.default_state() if data is None else data)

    # --- whole-state load and dump --------------------------------------------------------

    def load(self, data: dict) -> None:
        """Replace the CMDB side; top-level keys left out take their default values.

        Everything is checked before anything is replaced, so a bad state leaves the old one.
        """
        if not isinstance(data, dict):
            raise ValueError("state must be a JSON object")
        unknown = set(data) - set(STATE_KEYS)
        if unknown:
            raise ValueError("unknown state keys: %s" % ", ".join(sorted(unknown)))
        merged = catalog.default_state()
        merged.update(copy.deepcopy(data))
        _check_shapes(merged)
        try:
            models = {}
            for raw in merged["models"]:
                numeric_id = max([m["id"] for m in models.values()] + [100]) + 1
                normalized = _normalize_model(raw, numeric_id)
                models[normalized["bk_obj_id"]] = normalized
            _check_mainline(merged["mainline"], models)
            instances = _load_instances(merged["instances"])
            next_ids = _next_ids(merged["next_ids"], instances, merged["associations"])
        except (KeyError, TypeError, AttributeError) as exc:
            # Deeper mistakes (an attribute without bk_property_id, a string model id, ...) are
            # still a bad state: README promises ValueError, never a KeyError from inside.
            raise ValueError("malformed state: %s: %s" % (type(exc).__name__, exc)) from exc
        with self.lock:
            self.models = models
            self.mainline = list(merged["mainline"])
            self.object_associations = merged["object_associations"]
            self.instances = instances
            self.associations = merged["associations"]
            self.host_modules = merged["host_modules"]
            self.apps = merged["apps"]
            self.tokens = merged["tokens"]
            self.users = merged["users"]
            self.next_ids = next_ids

    def dump(self) -> dict:
        with self.lock:
            return copy.deepcopy({
                "models": list(self.models.values()),
                "mainline": self.mainline,
                "object_associations": self.object_associations,
                "instances": {
                    supplier: {obj: [table[k] for k in sorted(table)] for obj, table in per_model.items() if table}
                    for supplier, per_model in self.instances.items() if any(per_model.values())
                },
                "associations": self.associations,
                "host_modules": self.host_modules,
                "next_ids": self.next_ids,
                "apps": self.apps,
                "tokens": self.tokens,
                "users": self.users,
            })

    # --- lookups --------------------------------------------------------------------------

    def model(self, obj_id):
        return self.models.get(obj_id) if isinstance(obj_id, str) else None

    def id_field(self, obj_id: str) -> str:
        return catalog.ID_FIELDS.get(obj_id, INST_ID)

    def table(self, obj_id: str, supplier: str = "0") -> dict:
        """Records of one model for one supplier account, by id, for writing (created empty on demand)."""
        return self.instances.setdefault(str(supplier), {}).setdefault(obj_id, {})

    def records(self, obj_id: str, supplier: str = "0") -> dict:
        """Records of one model for one supplier account, by id, for reading (nothing is created)."""
        return self.instances.get(str(supplier), {}).get(obj_id, {})

    def find(self, obj_id, inst_id, supplier="0"):
        return self.records(obj_id, supplier).get(inst_id)

    def allocate_id(self, field: str) -> int:
        value = self.next_ids[field]
        self.next_ids[field] = value + 1
        return value

    # --- changes used by handlers and tests -----------------------------------------------

    def insert(self, obj_id: str, record: dict, supplier: str = "0") -> dict:
        """Store a new record, assigning its id and timestamps; returns the stored record."""
        id_field = self.id_field(obj_id)
        stamp = now_iso()
        stored = {id_field: self.allocate_id(id_field)}
        if id_field == INST_ID:
            stored["bk_obj_id"] = obj_id
        stored.update((k, v) for k, v in record.items() if k not in (id_field, "bk_obj_id"))
        stored["bk_supplier_account"] = str(supplier)
        stored.setdefault("create_time", stamp)
        stored.setdefault("last_time", stamp)
        self.table(obj_id, supplier)[stored[id_field]] = stored
        return stored

    def add_association(self, obj_id, inst_id, asst_obj_id, asst_inst_id, bk_asst_id="connect", supplier="0"):
        for model_id, record_id in ((obj_id, inst_id), (asst_obj_id, asst_inst_id)):
            if self.find(model_id, record_id, supplier) is None:
                raise ValueError("no %s instance with id %s" % (model_id, record_id))
        obj_asst_id = "%s_%s_%s" % (obj_id, bk_asst_id, asst_obj_id)
        if not any(a["bk_obj_asst_id"] == obj_asst_id for a in self.object_associations):
            self.object_associations.append({
                "bk_obj_asst_id": obj_asst_id, "bk_obj_id": obj_id, "bk_asst_obj_id": asst_obj_id,
                "bk_asst_id": bk_asst_id, "mapping": "n:n", "ispre": False,
            })
        association = {
            "id": self.allocate_id("association"),
            "bk_obj_asst_id": obj_asst_id,
            "bk_obj_id": obj_id,
            "bk_inst_id": inst_id,
            "bk_asst_obj_id": asst_obj_id,
            "bk_asst_inst_id": asst_inst_id,
            "bk_asst_id": bk_asst_id,
            "bk_supplier_account": str(supplier),
        }
        self.associations.append(association)
        return association

    def associations_of(self, obj_id, inst_id, supplier="0"):
        """Instance associations touching (obj_id, inst_id) in either direction."""
        return [
            a for a in self.associations
            if a.get("bk_supplier_account", "0") == str(supplier)
            and ((a["bk_obj_id"] == obj_id and a["bk_inst_id"] == inst_id)
                 or (a["bk_asst_obj_id"] == obj_id and a["bk_asst_inst_id"] == inst_id))
        ]

    def partner(self, association, obj_id, inst_id):
        if association["bk_obj_id"] == obj_id and association["bk_inst_id"] == inst_id:
            return association["bk_asst_obj_id"], association["bk_asst_inst_id"]
        return association["bk_obj_id"], association["bk_inst_id"]

    def bind_host(self, host_id, module_id, supplier="0"):
        for model_id, record_id in (("host", host_id), ("module", module_id)):
            if self.find(model_id, record_id, supplier) is None:
                raise ValueError("no %s with id %s" % (model_id, record_id))
        self.host_modules.append({"bk_host_id": host_id, "bk_module_id": module_id, "bk_supplier_account": str(supplier)})

    # --- test harness: request log and faults ---------------------------------------------

    def log_request(self, entry: dict) -> dict:
        with self.lock:
            self._seq += 1
            entry["seq"] = self._seq
            self.request_log.append(entry)
            return entry

    def requests(self, api=None):
        with self.lock:
            return copy.deepcopy([e for e in self.request_log if api is None or e["api"] == api])

    def clear_requests(self):
        with self.lock:
            self.request_log.clear()

    def queue_faults(self, api: str, faults: list) -> None:
        if not isinstance(api, str) or not api:
            raise ValueError("api must be a non-empty string")
        if not isinstance(faults, list):
            raise ValueError("faults must be a list")
        checked = [validate_fault(f) for f in faults]
        with self.lock:
            queue = self.faults.setdefault(api, deque())
            for fault in checked:
                queue.extend([fault] * fault.get("repeat", 1))

    def clear_faults(self):
        with self.lock:
            self.faults.clear()

    def next_fault(self, api):
        with self.lock:
            queue = self.faults.get(api)
            return queue.popleft() if queue else None
