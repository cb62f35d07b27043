# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault specs that tests queue per API (README.md, "Faults").

A fault replaces or delays the next request to one API: it can sleep, drop the connection,
answer a canned HTTP reply or a failure envelope, and optionally commit the real operation first.
"""

from __future__ import annotations

KEYS = frozenset(("delay", "status", "body", "content_type", "headers", "envelope", "apply", "drop", "repeat"))
CANNED_KEYS = frozenset(("status", "body", "content_type", "headers"))


def validate_fault(fault) -> dict:
    """Return the fault if it is well formed; raise ValueError naming the problem otherwise.

    Typos in a fault would silently turn it into "handle normally", so unknown keys are refused.
    """
    if not isinstance(fault, dict):
        raise ValueError("a fault must be an object, got %r" % (fault,))
    unknown = set(fault) - KEYS
    if unknown:
        raise ValueError("unknown fault keys: %s" % ", ".join(sorted(unknown)))
    delay = fault.get("delay", 0)
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
        raise ValueError("delay must be a number of seconds >= 0")
    repeat = fault.get("repeat", 1)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ValueError("repeat must be an integer >= 1")
    status = fault.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError("status must be an HTTP status code")
    if "envelope" in fault and not isinstance(fault["envelope"], dict):
        raise ValueError("envelope must be an object")
    if "envelope" in fault and "body" in fault:
        raise ValueError("give either envelope or body, not both")
    if "headers" in fault and not isinstance(fault["headers"], dict):
        raise ValueError("headers must be an object")
    if "body" in fault and not isinstance(fault["body"], (str, dict, list)):
        raise ValueError("body must be a string, an object or a list")
    if fault.get("drop") and (CANNED_KEYS | {"envelope"}) & set(fault):
        raise ValueError("drop cannot be combined with a reply")
    if fault.get("apply") and not (fault.get("drop") or fault.get("delay") or "envelope" in fault or CANNED_KEYS & set(fault)):
        raise ValueError("apply needs a reply (status/body/envelope), drop or a delay")
    return dict(fault)


def replaces_reply(fault: dict) -> bool:
    """Does this fault answer (or drop) instead of the real handler's reply?"""
    return bool(fault.get("drop")) or "envelope" in fault or bool(CANNED_KEYS & set(fault))
