# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filtering, sorting and paging of records.

Two filter languages reach the server: a subset of MongoDB's query language (search_inst,
search_inst_by_object, search_objects pass it through verbatim) and the QueryBuilder rules of
search_object_instances (contract §3.4), which CMDB validates before translating.
"""

from __future__ import annotations

import re
from datetime import datetime

from .errors import DB_SELECT_FAILED, JSON_UNMARSHAL_FAILED, PARAMS_INVALID, cmdb_error


class QueryError(ValueError):
    """The filter is malformed; the caller decides which API error that becomes."""


# --- MongoDB subset -------------------------------------------------------------------------

def _same_kind(left, right):
    numbers = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool)
    if isinstance(left, numbers) and isinstance(right, numbers):
        return True
    return isinstance(left, str) and isinstance(right, str)


def _compare(value, wanted, test):
    # Mongo never matches $gt and friends across types (a string is not "greater" than 3).
    candidates = value if isinstance(value, list) else [value]
    return any(c is not None and _same_kind(c, wanted) and test(c, wanted) for c in candidates)


def _scalar_equals(left, right):
    # JSON true is not 1, although Python says so.
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    return left == right


def _equals(value, wanted):
    if isinstance(value, list) and not isinstance(wanted, list):
        return any(_scalar_equals(item, wanted) for item in value)
    return _scalar_equals(value, wanted)


def _regex(value, pattern, options=""):
    flags = re.IGNORECASE if "i" in options else 0
    try:
        compiled = re.compile(pattern, flags)
    except (re.error, TypeError) as exc:
        raise QueryError("bad $regex %r: %s" % (pattern, exc)) from exc
    candidates = value if isinstance(value, list) else [value]
    return any(isinstance(c, str) and compiled.search(c) is not None for c in candidates)


def _field_matches(record, field, spec):
    present = field in record
    value = record.get(field)
    if not isinstance(spec, dict) or not any(key.startswith("$") for key in spec):
        return _equals(value, spec)
    for op, arg in spec.items():
        if op == "$eq":
            ok = _equals(value, arg)
        elif op == "$ne":
            ok = not _equals(value, arg)
        elif op in ("$in", "$nin"):
            if not isinstance(arg, list):
                raise QueryError("%s needs an array" % op)
            ok = any(_equals(value, item) for item in arg)
            ok = ok if op == "$in" else not ok
        elif op == "$gt":
            ok = _compare(value, arg, lambda a, b: a > b)
        elif op == "$gte":
            ok = _compare(value, arg, lambda a, b: a >= b)
        elif op == "$lt":
            ok = _compare(value, arg, lambda a, b: a < b)
        elif op == "$lte":
            ok = _compare(value, arg, lambda a, b: a <= b)
        elif op == "$regex":
            ok = _regex(value, arg, spec.get("$options", ""))
        elif op == "$options":
            ok = True
        elif op == "$exists":
            ok = present == bool(arg)
        elif op == "$not":
            ok = not _field_matches(record, field, arg)
        else:
            raise QueryError("unknown operator %s" % op)
        if not ok:
            return False
    return True


def mongo_match(record: dict, condition: dict | None) -> bool:
    """Does `record` satisfy the MongoDB-style `condition`? Raises QueryError if it is malformed."""
    if not condition:
        return True
    if not isinstance(condition, dict):
        raise QueryError("condition must be an object")
    for key, spec in condition.items():
        if key in ("$and", "$or", "$nor"):
            if not isinstance(spec, list) or not spec:
                raise QueryError("%s needs a non-empty array" % key)
            results = [mongo_match(record, sub) for sub in spec]
            ok = all(results) if key == "$and" else any(results)
            if key == "$nor":
                ok = not any(results)
        elif key.startswith("$"):
            raise QueryError("unknown top level operator %s" % key)
        else:
            ok = _field_matches(record, key, spec)
        if not ok:
            return False
    return True


def mongo_filter(records, condition):
    """Filter with a MongoDB-style condition; a malformed one fails like the database would."""
    try:
        return [r for r in records if mongo_match(r, condition)]
    except QueryError as exc:
        raise cmdb_error(DB_SELECT_FAILED) from exc


# --- QueryBuilder (search_object_instances) ---------------------------------------------------

MAX_DEPTH = 3
MAX_RULES = 50
MAX_IN_ITEMS = 500

_STRING_OPS = {
    "begins_with": lambda v, a: v.startswith(a),
    "begins_with_i": lambda v, a: v.lower().startswith(a.lower()),
    "not_begins_with": lambda v, a: not v.startswith(a),
    "not_begins_with_i": lambda v, a: not v.lower().startswith(a.lower()),
    "contains": lambda v, a: a.lower() in v.lower(),
    "contains_s": lambda v, a: a in v,
    "not_contains": lambda v, a: a not in v,
    "not_contains_i": lambda v, a: a.lower() not in v.lower(),
    "ends_with": lambda v, a: v.endswith(a),
    "ends_with_i": lambda v, a: v.lower().endswith(a.lower()),
    "not_ends_with": lambda v, a: not v.endswith(a),
    "not_ends_with_i": lambda v, a: not v.lower().endswith(a.lower()),
}
_ORDER_OPS = {
    "less": lambda v, a: v < a,
    "less_or_equal": lambda v, a: v <= a,
    "greater": lambda v, a: v > a,
    "greater_or_equal": lambda v, a: v >= a,
}
_DATETIME_OPS = {"datetime_" + name: test for name, test in _ORDER_OPS.items()}
_PRESENCE_OPS = ("is_empty", "is_not_empty", "is_null", "is_not_null", "exist", "size")
OPERATORS = frozenset(("equal", "not_equal", "in", "not_in")) | set(_STRING_OPS) | set(_ORDER_OPS) | set(_DATETIME_OPS) | set(_PRESENCE_OPS)


def _is_basic(value):
    return isinstance(value, (str, int, float, bool))


def _basic_kind(value):
    """The Go type a JSON scalar decodes to: every number is a float64, so 1 and 2.0 are one kind."""
    if isinstance(value, bool):
        return bool
    return float if isinstance(value, (int, float)) else type(value)


def _validate_atom(rule):
    field, op, value = rule.get("field"), rule.get("operator"), rule.get("value")
    if not isinstance(field, str) or not field:
        raise QueryError("rule field should not be empty")
    if op not in OPERATORS:
        raise QueryError("unsupported operator %r" % (op,))
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise QueryError("%s operator's value should be a non-empty array" % op)
        if len(value) > MAX_IN_ITEMS:
            raise QueryError("%s operator's elements count exceeds max limit %d" % (op, MAX_IN_ITEMS))
        if not all(_is_basic(v) for v in value) or len({_basic_kind(v) for v in value}) != 1:
            raise QueryError("%s operator's elements should be of one basic type" % op)
    elif op in _STRING_OPS:
        if not isinstance(value, str) or not value:
            raise QueryError("%s operator's value should be a non-empty string" % op)
    elif op in _ORDER_OPS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise QueryError("%s operator's value should be a number" % op)
    elif op in _DATETIME_OPS:
        _parse_datetime(value)
    elif op in ("equal", "not_equal") and not _is_basic(value):
        raise QueryError("%s operator's value should be a basic type" % op)


def validate_rules(rule, depth=1):
    """Check a QueryBuilder filter the way CMDB does before running it (contract §3.4)."""
    if not isinstance(rule, dict):
        raise QueryError("rule should be an object")
    if "condition" not in rule:
        _validate_atom(rule)
        return
    if depth > MAX_DEPTH:
        raise QueryError("expression rules depth exceeds maximum depth %d" % MAX_DEPTH)
    if rule["condition"] not in ("AND", "OR"):
        raise QueryError("unsupported combined condition %r" % (rule["condition"],))
    rules = rule.get("rules")
    if not isinstance(rules, list) or not rules:
        raise QueryError("combined rules shouldn't be empty")
    if len(rules) > MAX_RULES:
        raise QueryError("combined rules elements count exceeds max limit %d" % MAX_RULES)
    for sub in rules:
        validate_rules(sub, depth + 1)


def _parse_datetime(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value).astimezone()
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.astimezone()
    raise QueryError("datetime operator's value should be a timestamp or ISO 8601 time")


def _atom_matches(record, rule):
    op, wanted = rule["operator"], rule.get("value")
    present = rule["field"] in record
    value = record.get(rule["field"])
    if op == "equal":
        return _equals(value, wanted)
    if op == "not_equal":
        return not _equals(value, wanted)
    if op in ("in", "not_in"):
        hit = any(_equals(value, item) for item in wanted)
        return hit if op == "in" else not hit
    if op in _STRING_OPS:
        return isinstance(value, str) and _STRING_OPS[op](value, wanted)
    if op in _ORDER_OPS:
        return _compare(value, wanted, _ORDER_OPS[op])
    if op in _DATETIME_OPS:
        try:
            return _DATETIME_OPS[op](_parse_datetime(value), _parse_datetime(wanted))
        except QueryError:
            return False
    if op == "is_empty":
        return isinstance(value, list) and not value
    if op == "is_not_empty":
        return isinstance(value, list) and bool(value)
    if op == "is_null":
        return value is None
    if op == "is_not_null":
        return value is not None
    if op == "exist":
        return present == bool(wanted)
    # "size"
    return isinstance(value, list) and len(value) == wanted


def rules_match(record: dict, rule: dict | None) -> bool:
    if not rule:
        return True
    if "condition" not in rule:
        return _atom_matches(record, rule)
    results = (rules_match(record, sub) for sub in rule["rules"])
    return all(results) if rule["condition"] == "AND" else any(results)


# --- paging ---------------------------------------------------------------------------------

def _sort_keys(sort):
    """Parse "a,-b" or "a:1,b:-1" into [(field, descending)]."""
    keys = []
    for part in (sort or "").split(","):
        part = part.strip()
        if not part:
            continue
        descending = part.startswith("-")
        part = part.lstrip("-+")
        if ":" in part:
            part, direction = part.split(":", 1)
            descending = direction.strip() == "-1"
        keys.append((part.strip(), descending))
    return keys


def _rank(value):
    # Give mixed types a stable order instead of a TypeError, nulls first like MongoDB.
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (3, value)
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value))


def sort_records(records, sort, default_field):
    if sort is not None and not isinstance(sort, str):
        raise cmdb_error(JSON_UNMARSHAL_FAILED)
    ordered = sorted(records, key=lambda r: _rank(r.get(default_field)))
    for field, descending in reversed(_sort_keys(sort)):
        ordered.sort(key=lambda r, f=field: _rank(r.get(f)), reverse=descending)
    return ordered


def page_slice(records, page):
    """Apply page.start/limit; limit 0 or absent means no limit (contract §3.3, §3.5)."""
    page = page or {}
    start = page.get("start") or 0
    limit = page.get("limit") or 0
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (start, limit)):
        raise cmdb_error(JSON_UNMARSHAL_FAILED)
    if start < 0 or limit < 0:
        raise cmdb_error(PARAMS_INVALID, "page")
    return records[start:start + limit] if limit else records[start:]


def project(record, fields):
    if not fields:
        return dict(record)
    return {f: record[f] for f in fields if f in record}
