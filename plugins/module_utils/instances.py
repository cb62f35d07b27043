# -*- coding: utf-8 -*-
# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Instances of ordinary CMDB models: argument checks, look-up and batched deletion.

The server answers success to a delete of ids that do not exist and says nothing about what
it removed, so every decision about ``changed`` rests on a look-up made before the delete,
and on a look-up made again whenever a delete's answer was lost.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.blueking.cmdb.plugins.module_utils.errors import (
    BkCmdbError,
    InputError,
    TopologyRefusal,
    UnexpectedDataError,
    listed,
)

# search_inst's documented page limit (the server does not enforce it, some gateways might).
LOOKUP_PAGE_SIZE = 200
# Deletes are chunked to this: bk-cmdb's BKMaxDeletePageSize, and a request that stays well
# inside the gateway's 30 s timeout and ESB body limits.
MAX_BATCH_SIZE = 500
MAX_INST_ID = 2 ** 63 - 1
# bk_parent_id is asked for only to recognise custom mainline (business topology) levels:
# their instances carry a parent, ordinary ones have no such field. The server deletes a
# mainline instance together with every level, set and module below it.
LOOKUP_FIELDS = ["bk_inst_id", "bk_inst_name", "bk_parent_id"]

# Models the common instance API refuses (server code 1199084), each with where to go instead.
BUILTIN_MODELS = {
    "biz": "business APIs (update_business_enable_status to archive a business)",
    "set": "delete_set / batch_delete_set",
    "module": "delete_module",
    "host": "delete_host (after transfer_host_to_recyclemodule)",
    "process": "delete_process_instance",
    "plat": "delete_cloud_area",
    "bk_biz_set_obj": "delete_business_set",
    "bk_project": "delete_project",
}
OBJ_ID_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")
# ASCII only: int() would also take other scripts' digits ("٣" is 3), a likely data error.
DIGITS = re.compile(r"^\s*\+?[0-9]+\s*$")


def check_obj_id(value):
    """Return the model id, or raise ``InputError`` for a built-in or malformed one."""
    obj_id = (value or "").strip()
    if not OBJ_ID_PATTERN.match(obj_id):
        raise InputError("bk_obj_id must be a model id made of letters, digits and underscores, got %r" % (value,))
    if obj_id in BUILTIN_MODELS:
        raise InputError(
            "bk_obj_id %r is a built-in model that the common instance API refuses (server code 1199084); "
            "use the dedicated ESB API instead: %s" % (obj_id, BUILTIN_MODELS[obj_id]))
    return obj_id


def _as_inst_id(value):
    """One ``inst_ids`` element as an int >= 1, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and DIGITS.match(value):
        number = int(value)
    else:
        return None
    return number if 1 <= number <= MAX_INST_ID else None


def normalize_inst_ids(values):
    """Validate ``inst_ids``: whole numbers >= 1 (digit strings accepted), duplicates dropped, order kept.

    Everything is checked before the first HTTP call; the error names each bad element and
    its position, because a 0 or a stray "abc" in a generated list is a bug upstream in
    the play that the user must see.
    """
    if values is None:
        return []
    ids, seen, bad = [], set(), []
    for position, value in enumerate(values, start=1):
        number = _as_inst_id(value)
        if number is None:
            bad.append("%r (position %d)" % (value, position))
        elif number not in seen:
            seen.add(number)
            ids.append(number)
    if bad:
        raise InputError("inst_ids must be whole numbers >= 1 (bk_inst_id values); invalid: %s" % listed(bad))
    return ids


def check_batch_size(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BATCH_SIZE:
        raise InputError("batch_size must be between 1 and %d, got %r" % (MAX_BATCH_SIZE, value))
    return value


def chunked(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]


def _instance_id(record):
    value = record.get("bk_inst_id")
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def search_page_rows(reply):
    """``(count, rows)`` of one ``search_inst`` success, or ``UnexpectedDataError``.

    Each row comes back as ``(bk_inst_id, row)``. Anything short of the documented
    ``{"count": int, "info": [{"bk_inst_id": ...}, ...]}`` is refused instead of read as
    "no match": a reply the module cannot read must never turn existing ids into ``absent``.
    """
    data = reply.data
    if not isinstance(data, dict) or not isinstance(data.get("info"), list):
        raise UnexpectedDataError("search_inst", "its data has no info list (got %s)" % _shape(data), reply.request_id)
    count = data.get("count")
    if isinstance(count, bool) or not isinstance(count, int):
        raise UnexpectedDataError("search_inst", "its data has no integer count (got %s)" % _shape(count), reply.request_id)
    rows = []
    for row in data["info"]:
        inst_id = _instance_id(row) if isinstance(row, dict) else None
        if inst_id is None:
            raise UnexpectedDataError("search_inst", "a row has no bk_inst_id (got %s)" % _shape(row), reply.request_id)
        rows.append((inst_id, row))
    return count, rows


def _shape(value):
    """The JSON type of ``value``: a reply's contents may echo the credentials, its type cannot."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    for kinds, name in (((int, float), "a number"), (str, "a string"), (list, "a list"), (dict, "an object")):
        if isinstance(value, kinds):
            return name
    return type(value).__name__


def find_existing(client, obj_id, ids, purpose="look-up"):
    """Return ``{id: instance}`` for the ids of ``obj_id`` that exist now.

    Ids are asked for ``LOOKUP_PAGE_SIZE`` at a time; a chunk is paged further only while
    the server reports more matches than it returned. Rows the server sends for other ids or
    models are ignored: only what was asked for can be reported as existing. An instance of a
    custom mainline level also has its ``bk_parent_id``.
    """
    wanted = set(ids)
    found = {}
    chunks = chunked(list(ids), LOOKUP_PAGE_SIZE)
    for number, chunk in enumerate(chunks, start=1):
        label = "%s %d of %d" % (purpose, number, len(chunks))
        start = 0
        while True:
            payload = {
                "bk_obj_id": obj_id,
                "condition": {obj_id: [{"field": "bk_inst_id", "operator": "$in", "value": chunk}]},
                "fields": {obj_id: list(LOOKUP_FIELDS)},
                "page": {"start": start, "limit": LOOKUP_PAGE_SIZE, "sort": "bk_inst_id"},
            }
            reply = client.call("search_inst", payload, label=label)
            count, rows = search_page_rows(reply)
            for inst_id, row in rows:
                if inst_id in wanted and row.get("bk_obj_id", obj_id) == obj_id:
                    found[inst_id] = {"bk_inst_id": inst_id, "bk_inst_name": row.get("bk_inst_name"), "bk_obj_id": obj_id}
                    if row.get("bk_parent_id") is not None:
                        found[inst_id]["bk_parent_id"] = row["bk_parent_id"]
            start += len(rows)
            if all(i in found for i in chunk):
                break
            if start >= count:
                # Rows repeated across pages would otherwise turn existing ids into "absent".
                seen = sum(1 for i in chunk if i in found)
                if seen < count:
                    raise UnexpectedDataError("search_inst", "it reports %d matches and sent %d distinct requested ids"
                                              % (count, seen), reply.request_id)
                break
            if not rows:
                raise UnexpectedDataError("search_inst", "it reports %d matches and sent none from position %d" % (count, start),
                                          reply.request_id)
    return found


def public_instance(instance):
    """What results report of an instance: its id, name and model."""
    return dict((key, instance.get(key)) for key in ("bk_inst_id", "bk_inst_name", "bk_obj_id"))


class DeleteOutcome:
    """What a deletion run did. ``error`` is set when it stopped early."""

    def __init__(self, existing, absent_ids):
        self.existing = existing          # {id: instance} found before any delete
        self.absent_ids = absent_ids      # requested ids that did not exist
        self.deleted_ids = []             # confirmed gone (or, in check mode, would be)
        self.not_deleted_ids = []         # confirmed still there, or never sent
        self.unconfirmed_ids = []         # reply lost and the re-check failed too
        self.error = None
        self.failed_batch = None          # (number, total, size)

    @property
    def changed(self):
        # Unconfirmed ids were sent in a delete that may have been applied: claiming "no
        # change" for them could be false, and a failed task says what is unknown anyway.
        return bool(self.deleted_ids or self.unconfirmed_ids)


def delete_instances(client, obj_id, ids, batch_size, check_mode):
    """Look up ``ids`` and delete the existing ones in batches; never raises ``BkCmdbError``."""
    try:
        existing = find_existing(client, obj_id, ids)
    except BkCmdbError as error:
        outcome = DeleteOutcome({}, [])
        outcome.not_deleted_ids = list(ids)
        outcome.error = error
        return outcome
    existing_ids = [i for i in ids if i in existing]
    outcome = DeleteOutcome(existing, [i for i in ids if i not in existing])
    # Custom mainline instances have a topology parent. Refused in check mode too: the dry run
    # must not promise a delete the real run refuses.
    topology = [existing[i] for i in existing_ids if existing[i].get("bk_parent_id") is not None]
    if topology:
        outcome.not_deleted_ids = existing_ids
        outcome.error = TopologyRefusal(obj_id, topology)
        return outcome
    if check_mode:
        outcome.deleted_ids = existing_ids
        return outcome
    batches = chunked(existing_ids, batch_size)
    for number, batch in enumerate(batches, start=1):
        try:
            gone = delete_batch(client, obj_id, batch, label="batch %d of %d" % (number, len(batches)))
        except BatchError as error:
            outcome.deleted_ids.extend(error.deleted_ids)
            outcome.unconfirmed_ids = error.unconfirmed_ids
            outcome.not_deleted_ids = error.not_deleted_ids + [i for later in batches[number:] for i in later]
            outcome.error = error.cause
            outcome.failed_batch = (number, len(batches), len(batch))
            return outcome
        outcome.deleted_ids.extend(gone)
    return outcome


class BatchError(Exception):
    """A batch failed; says which of its ids are gone, still there, or unknown."""

    def __init__(self, cause, deleted_ids, not_deleted_ids, unconfirmed_ids=()):
        super(BatchError, self).__init__(str(cause))
        self.cause = cause
        self.deleted_ids = list(deleted_ids)
        self.not_deleted_ids = list(not_deleted_ids)
        self.unconfirmed_ids = list(unconfirmed_ids)


def delete_batch(client, obj_id, batch, label="batch 1 of 1"):
    """Delete one batch; return its ids once they are confirmed gone.

    A failure that may have been applied (lost reply, timeout, 5xx, ESB 1306201, and any refusal
    not known to come before a change, see ``ApiError.ambiguous``) is settled by
    looking the ids up again: gone ids count as deleted, the rest are sent again while
    retries remain (deleting ids that are already gone is harmless on this server).
    Throttling and ambiguous failures share one budget of ``client.retries`` re-sends per
    batch, so a batch is sent at most ``retries + 1`` times whatever mix of errors comes back.
    """
    remaining = list(batch)
    confirmed_gone = []
    attempt = 0
    while True:
        try:
            client.call("batch_delete_inst", {"bk_obj_id": obj_id, "delete": {"inst_ids": remaining}}, retry=False, label=label)
            return confirmed_gone + remaining
        except BkCmdbError as error:
            if error.ambiguous:
                try:
                    still_there = find_existing(client, obj_id, remaining, purpose="re-check of %s, look-up" % label)
                except BkCmdbError:
                    raise BatchError(error, confirmed_gone, [], unconfirmed_ids=remaining)
                confirmed_gone += [i for i in remaining if i not in still_there]
                remaining = [i for i in remaining if i in still_there]
                if not remaining:
                    client.warn("batch_delete_inst (%s) gave no clear answer (%s); a new look-up shows all %d ids of the batch are gone"
                                % (label, error, len(batch)))
                    return confirmed_gone
            if not error.retryable or attempt >= client.retries:
                raise BatchError(error, confirmed_gone, remaining)
            attempt += 1
            client.wait_before_retry("batch_delete_inst", attempt, error, label)
