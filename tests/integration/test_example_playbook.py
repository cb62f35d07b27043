# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbook in examples/ (what `make demo` runs and users copy first), run as a user runs it."""

import subprocess

from ansible_harness import ansible_playbook_command
from cmdb_helpers import APP_CODE, APP_SECRET, DEFAULT_OBJ, USERNAME, add_devices, calls, delete_batches, ids_of

EXAMPLE = "ansible_collections/blueking/cmdb/examples/decommission_retired_firewalls.yml"


def run_example(ansible, sim, check=False):
    env = ansible.environ({"BK_PAAS_HOST": sim.url, "BK_APP_CODE": APP_CODE, "BK_APP_SECRET": APP_SECRET, "BK_USERNAME": USERNAME})
    # The output a user sees is what is asserted; the harness's result-collecting callback is not needed.
    env.pop("ANSIBLE_CALLBACKS_ENABLED")
    argv = [ansible_playbook_command(), "-i", "localhost,", "-e", "ansible_connection=local",
            "-e", "ansible_python_interpreter=%s" % ansible.interpreter, str(ansible.collections_root / EXAMPLE)] + (["--check", "--diff"] if check else [])
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def in_service(sim, count):
    records = [{"bk_inst_name": "fw-in-service-%02d" % index, "bk_asset_id": "SVC-%02d" % index, "bk_biz_status": "1"}
               for index in range(count)]
    return sim.add_instances(DEFAULT_OBJ, records)


def test_dry_run_then_delete_then_rerun_removes_only_the_retired_records(cmdb_sim, ansible):
    retired = ids_of(add_devices(cmdb_sim, 3))
    kept = in_service(cmdb_sim, 2)

    rc, output = run_example(ansible, cmdb_sim, check=True)
    assert rc == 0, output
    assert "Would delete 3 bk_firewall instances." in output and "would be deleted:" in output
    assert calls(cmdb_sim, "batch_delete_inst") == []

    rc, output = run_example(ansible, cmdb_sim)
    assert rc == 0, output
    assert "Deleted 3 bk_firewall instances." in output
    assert delete_batches(cmdb_sim) == [retired]
    assert set(cmdb_sim.instance_ids(DEFAULT_OBJ)) & set(retired + kept) == set(kept)

    rc, output = run_example(ansible, cmdb_sim)
    assert rc == 0, output
    assert "0 retired firewall record(s) found" in output and "changed=0" in output
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 1


def test_a_failed_search_shows_the_servers_answer_with_the_secret_masked(cmdb_sim, ansible):
    add_devices(cmdb_sim, 1)
    echo = "APP Secret verification failed, got %s" % APP_SECRET
    cmdb_sim.queue_faults("search_inst", [{"envelope": {"result": False, "code": 1306000, "message": echo, "request_id": "r-example"}}])

    rc, output = run_example(ansible, cmdb_sim)
    assert rc != 0
    assert "code 1306000" in output and "r-example" in output and "APP Secret verification failed, got ********" in output
    assert APP_SECRET not in output
    assert calls(cmdb_sim, "batch_delete_inst") == []


def test_more_than_one_page_of_retired_records_says_a_rerun_is_needed(cmdb_sim, ansible):
    retired = ids_of(add_devices(cmdb_sim, 203))

    rc, output = run_example(ansible, cmdb_sim)
    assert rc == 0, output
    assert "203 retired firewall record(s) found, 200 handled by this run" in output and "more remain" in output
    assert len(set(retired) & set(cmdb_sim.instance_ids(DEFAULT_OBJ))) == 3
