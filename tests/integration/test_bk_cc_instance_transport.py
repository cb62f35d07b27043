# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Slow servers and TLS: field cases F23 (timeouts) and F24 (self-signed certificates, proxies)."""

import re
import socket
from urllib.parse import urlsplit

import pytest
import trustme

from cmdb_helpers import DEFAULT_OBJ, add_devices, calls, failed_without_change, ids_of, succeeded

# F23 uses 12 s replies against timeouts of 30 s and 5 s. The same ratios at 3 s against 10 s and
# 1 s test the same thing (the option reaches both calls) in a fraction of the time.
SLOW_REPLY = 3
PATIENT_TIMEOUT = 10
IMPATIENT_TIMEOUT = 1


def names_the_timeout(msg, seconds):
    """msg says which limit was hit: "... within 1.0 s (timeout option)" (client._transport_error)."""
    return re.search(r"within %s(\.0+)? s \(timeout option\)" % re.escape(str(seconds)), msg) is not None


def dead_port():
    """A local port with nothing listening (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- F23: slow server -------------------------------------------------------------------------

@pytest.mark.slow
def test_f23_slow_server_within_the_timeout_succeeds(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    cmdb_sim.queue_faults("search_inst", [{"delay": SLOW_REPLY}])
    cmdb_sim.queue_faults("batch_delete_inst", [{"delay": SLOW_REPLY}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices), timeout=PATIENT_TIMEOUT)

    assert succeeded(run.result), run.describe()
    assert run.result["deleted"] == ids_of(devices)
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 1
    assert run.elapsed >= 2 * SLOW_REPLY


def test_f23_lookup_slower_than_the_timeout_fails_naming_the_call(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    cmdb_sim.queue_faults("search_inst", [{"delay": SLOW_REPLY}])
    run = bk_cc_instance(cmdb_sim, ids_of(devices), timeout=IMPATIENT_TIMEOUT, retries=0)
    result = failed_without_change(run)

    assert "timeout" in result["msg"].lower() or "timed out" in result["msg"].lower()
    assert names_the_timeout(result["msg"], IMPATIENT_TIMEOUT), result["msg"]
    assert "search_inst" in result["msg"]
    assert result["not_deleted"] == ids_of(devices) and result["deleted"] == []
    # retries: 0: one look-up, never answered in time, and no delete.
    assert len(calls(cmdb_sim, "search_inst")) == 1
    assert calls(cmdb_sim, "batch_delete_inst") == []
    assert set(ids_of(devices)) <= set(cmdb_sim.instance_ids(DEFAULT_OBJ))


@pytest.mark.slow
def test_f23_delete_slower_than_the_timeout_is_checked_before_reporting(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    ids = ids_of(devices)
    cmdb_sim.queue_faults("batch_delete_inst", [{"delay": SLOW_REPLY}])
    run = bk_cc_instance(cmdb_sim, ids, timeout=IMPATIENT_TIMEOUT, retries=0)
    result = run.result

    assert result.get("failed") is True, run.describe()
    assert "timeout" in result["msg"].lower() or "timed out" in result["msg"].lower()
    assert names_the_timeout(result["msg"], IMPATIENT_TIMEOUT), result["msg"]
    assert "batch_delete_inst" in result["msg"]
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 1
    first_delete = calls(cmdb_sim, "batch_delete_inst")[0]["seq"]
    assert any(entry["seq"] > first_delete for entry in calls(cmdb_sim, "search_inst")), "no look-up after the timed-out delete"
    # Whatever the look-up found, every id is accounted for exactly once.
    reported = result["deleted"] + result.get("not_deleted", []) + result.get("unconfirmed", [])
    assert sorted(reported) == sorted(ids)
    assert result["changed"] is bool(result["deleted"])


@pytest.mark.slow
def test_f23_delete_committed_but_answered_too_late_is_reported_deleted(cmdb_sim, bk_cc_instance):
    # The server deleted, then its answer missed the timeout: the look-up afterwards proves the
    # ids are gone, so the run is a success that changed something, and no delete is sent again.
    devices = add_devices(cmdb_sim, 2)
    ids = ids_of(devices)
    cmdb_sim.queue_faults("batch_delete_inst", [{"apply": True, "delay": SLOW_REPLY}])
    run = bk_cc_instance(cmdb_sim, ids, timeout=IMPATIENT_TIMEOUT, retries=0)
    result = run.result

    assert succeeded(result), run.describe()
    assert (result["changed"], result["deleted"], result["instances"]) == (True, ids, devices)
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 1
    assert len(calls(cmdb_sim, "search_inst")) == 2
    assert any("batch_delete_inst" in warning and "gone" in warning for warning in result.get("warnings", [])), run.describe()
    assert not set(ids) & set(cmdb_sim.instance_ids(DEFAULT_OBJ))


@pytest.mark.slow
def test_f23_timed_out_delete_is_sent_again_when_the_ids_are_still_there(cmdb_sim, bk_cc_instance):
    devices = add_devices(cmdb_sim, 2)
    ids = ids_of(devices)
    cmdb_sim.queue_faults("batch_delete_inst", [{"delay": SLOW_REPLY}])
    run = bk_cc_instance(cmdb_sim, ids, timeout=IMPATIENT_TIMEOUT, retries=1)

    assert succeeded(run.result), run.describe()
    assert run.result["deleted"] == ids
    assert len(calls(cmdb_sim, "batch_delete_inst")) == 2
    assert not set(ids) & set(cmdb_sim.instance_ids(DEFAULT_OBJ))


# --- F24: TLS with a private CA, proxies ------------------------------------------------------------

def test_f24_self_signed_certificate_is_refused_by_default(cmdb_sim_tls, bk_cc_instance):
    devices = add_devices(cmdb_sim_tls, 1)
    run = bk_cc_instance(cmdb_sim_tls, ids_of(devices))
    result = failed_without_change(run)

    assert "certificate" in result["msg"].lower()
    assert "validate_certs" in result["msg"]
    assert "ca_path" in result["msg"]
    assert cmdb_sim_tls.requests() == []


def test_f24_certificate_from_another_ca_is_refused(cmdb_sim_tls, bk_cc_instance, tmp_path):
    devices = add_devices(cmdb_sim_tls, 1)
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    run = bk_cc_instance(cmdb_sim_tls, ids_of(devices), ca_path=str(other_ca))
    result = failed_without_change(run)

    assert "validate_certs" in result["msg"] and "ca_path" in result["msg"]
    assert cmdb_sim_tls.requests() == []


@pytest.mark.parametrize("tls_options", ["validate_certs_false", "ca_path"])
def test_f24_private_ca_or_no_verification_reaches_both_calls(cmdb_sim_tls, bk_cc_instance, tls_options):
    devices = add_devices(cmdb_sim_tls, 2)
    options = {"validate_certs": False} if tls_options == "validate_certs_false" else {"ca_path": cmdb_sim_tls.ca_file}
    run = bk_cc_instance(cmdb_sim_tls, ids_of(devices), **options)

    assert succeeded(run.result), run.describe()
    assert run.result["deleted"] == ids_of(devices)
    assert len(calls(cmdb_sim_tls, "search_inst")) >= 1
    assert len(calls(cmdb_sim_tls, "batch_delete_inst")) == 1


@pytest.mark.parametrize("tls_options", ["validate_certs_false", "ca_path"])
@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_f24_tls_options_win_over_ca_bundle_variables(cmdb_sim_tls, bk_cc_instance, tmp_path, tls_options, variable):
    # requests lets these variables override a session's verify setting; many CI and AWX images set them.
    devices = add_devices(cmdb_sim_tls, 1)
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    options = {"validate_certs": False} if tls_options == "validate_certs_false" else {"ca_path": cmdb_sim_tls.ca_file}
    run = bk_cc_instance(cmdb_sim_tls, ids_of(devices), env={variable: str(other_ca)}, **options)

    assert succeeded(run.result), run.describe()
    assert len(calls(cmdb_sim_tls, "search_inst")) == 1
    assert len(calls(cmdb_sim_tls, "batch_delete_inst")) == 1


def test_f24_https_url_for_a_plain_http_server_points_at_the_url_not_the_certificate(cmdb_sim, bk_cc_instance):
    https_url = cmdb_sim.url.replace("http://", "https://", 1)
    run = bk_cc_instance(https_url, [46], validate_certs=False)
    result = failed_without_change(run)

    assert "handshake" in result["msg"] and "scheme and port of bk_paas_host" in result["msg"]
    assert "validate_certs" not in result["msg"] and "ca_path" not in result["msg"]
    assert cmdb_sim.requests() == []


def test_f24_missing_ca_file_fails_before_any_request(cmdb_sim_tls, bk_cc_instance, tmp_path):
    devices = add_devices(cmdb_sim_tls, 1)
    run = bk_cc_instance(cmdb_sim_tls, ids_of(devices), ca_path=str(tmp_path / "no-such-ca.pem"))
    result = failed_without_change(run)

    assert "ca_path" in result["msg"] and "no-such-ca.pem" in result["msg"]
    assert cmdb_sim_tls.requests() == []


def test_f24_no_proxy_bypasses_a_dead_https_proxy(cmdb_sim_tls, bk_cc_instance):
    devices = add_devices(cmdb_sim_tls, 1)
    proxy = "http://127.0.0.1:%d" % dead_port()
    env = {"https_proxy": proxy, "HTTPS_PROXY": proxy, "no_proxy": urlsplit(cmdb_sim_tls.url).hostname}
    run = bk_cc_instance(cmdb_sim_tls, ids_of(devices), ca_path=cmdb_sim_tls.ca_file, env=env)

    assert succeeded(run.result), run.describe()
    assert len(calls(cmdb_sim_tls, "search_inst")) >= 1
    assert len(calls(cmdb_sim_tls, "batch_delete_inst")) == 1


def test_f24_proxy_from_the_environment_is_used(cmdb_sim_tls, bk_cc_instance):
    devices = add_devices(cmdb_sim_tls, 1)
    proxy = "http://127.0.0.1:%d" % dead_port()
    run = bk_cc_instance(cmdb_sim_tls, ids_of(devices), ca_path=cmdb_sim_tls.ca_file, env={"https_proxy": proxy, "HTTPS_PROXY": proxy})
    result = failed_without_change(run)

    assert "proxy" in result["msg"].lower()
    assert cmdb_sim_tls.requests() == []
