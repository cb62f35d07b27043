# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the bk_cc_instance integration tests share: simulator accounts, test data, request-log readers."""

import itertools
import threading
import time

MODULE = "blueking.cmdb.bk_cc_instance"
GROUP = "group/blueking.cmdb.cmdb"

# Apps, users and tokens the simulator knows (bk_cmdb_sim, README "Auth").
APP_CODE = "ansible-test"
APP_SECRET = "sim-secret-ansible-test"
TOKEN_APP_CODE = "token-only-app"
TOKEN_APP_SECRET = "sim-secret-token-only"
NO_DELETE_APP_CODE = "no-delete-app"
NO_DELETE_APP_SECRET = "sim-secret-no-delete"
TOKEN = "sim-token-ops-bot"
USERNAME = "ops-bot"
VIEW_ONLY_USER = "auditor"
# Every secret a test may send: none may ever be printed or returned, whatever the test checks.
KNOWN_SECRETS = (APP_SECRET, TOKEN_APP_SECRET, NO_DELETE_APP_SECRET, TOKEN)
SECRET_OPTIONS = ("bk_app_secret", "bk_token")

# Small, so retries with exponential backoff cost milliseconds instead of seconds.
FAST_RETRY_DELAY = 0.05

DEFAULT_OBJ = "bk_firewall"

_names = itertools.count(1)


def through_vars(options, prefix, extra_vars):
    """Move secret option values into extra vars, referenced by Jinja, as vault users do."""
    moved = dict(options)
    for key in SECRET_OPTIONS:
        if isinstance(moved.get(key), str) and moved[key]:
            var = "%s_%s" % (prefix, key)
            extra_vars[var] = moved[key]
            moved[key] = "{{ %s }}" % var
    return moved


def connection_options(target, **overrides):
    """Options that reach the simulator (`target` is a Simulator or a URL) as ansible-test/ops-bot."""
    options = {
        "bk_paas_host": target if isinstance(target, str) else target.url,
        "bk_app_code": APP_CODE,
        "bk_app_secret": APP_SECRET,
        "bk_username": USERNAME,
        "retry_delay": FAST_RETRY_DELAY,
    }
    options.update(overrides)
    return options


def add_devices(sim, count, obj_id=DEFAULT_OBJ):
    """Create `count` instances with unique names and asset ids.

    Returns them in creation order as the module reports them in `instances`:
    {bk_inst_id, bk_inst_name, bk_obj_id}.
    """
    batch = next(_names)
    names = ["%s-t%03d-%04d" % (obj_id.replace("bk_", ""), batch, index) for index in range(count)]
    records = [{"bk_inst_name": name, "bk_asset_id": "ASSET-%03d-%04d" % (batch, index), "bk_biz_status": "3"}
               for index, name in enumerate(names)]
    ids = sim.add_instances(obj_id, records)
    return [{"bk_inst_id": inst_id, "bk_inst_name": name, "bk_obj_id": obj_id} for inst_id, name in zip(ids, names)]


def ids_of(devices):
    return [device["bk_inst_id"] for device in devices]


def missing_ids(sim, count=1):
    """Ids no instance of any model has: above everything the simulator has handed out."""
    top = max([0] + [i for obj in ("bk_switch", "bk_router", "bk_load_balance", "bk_firewall") for i in sim.instance_ids(obj)])
    return [top + 100000 + offset for offset in range(count)]


def succeeded(result):
    return not result.get("failed", False)


def deleted_them_all(run, devices):
    """The run succeeded and deleted exactly `devices`, in request order; returns its result."""
    result = run.result
    assert succeeded(result), run.describe()
    assert result["changed"] is True, run.describe()
    assert result["deleted"] == ids_of(devices)
    assert result["instances"] == devices
    return result


def failed_without_change(run):
    """The run failed and says nothing changed; returns its result."""
    result = run.result
    assert result.get("failed") is True, run.describe()
    assert result.get("changed") is False, run.describe()
    return result


class ArrivalClock:
    """Notes when each request reaches the simulator, by polling its log from a thread.

    The request log has no timestamps; waits between requests (Retry-After, backoff) are only
    observable this way. Resolution is the poll interval.
    """

    def __init__(self, sim, interval=0.01):
        self.sim = sim
        self.interval = interval
        self.arrivals = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="arrival-clock", daemon=True)

    def _poll(self):
        while not self._stop.is_set():
            now = time.monotonic()
            for entry in self.sim.requests():
                self.arrivals.setdefault(entry["seq"], now)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    def gaps(self, api):
        """Seconds between consecutive requests to `api`."""
        times = [self.arrivals[entry["seq"]] for entry in self.sim.requests(api=api)]
        return [later - earlier for earlier, later in zip(times, times[1:])]


def calls(sim, api):
    """Request log entries of one ESB component, in arrival order."""
    return sim.requests(api=api)


def delete_batches(sim):
    """The inst_ids of every batch_delete_inst request, in order."""
    return [entry["body"]["delete"]["inst_ids"] for entry in calls(sim, "batch_delete_inst")]


def looked_up_ids(entry):
    """The ids one search_inst request asked for, from its `$in` condition on bk_inst_id."""
    body = entry["body"]
    ids = []
    for rules in body.get("condition", {}).values():
        for rule in rules:
            if rule.get("field") == "bk_inst_id" and rule.get("operator") == "$in":
                ids.extend(rule["value"])
    return ids


def writes(sim):
    """Every request that could change state: for this module, batch_delete_inst only."""
    return [entry for entry in sim.requests() if entry["api"] != "search_inst"]
