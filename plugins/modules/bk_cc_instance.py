#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: bk_cc_instance
short_description: Delete instances of BlueKing CMDB models
version_added: 1.0.0
description:
  - Deletes instances of an ordinary (non built-in) BlueKing CMDB model, such as the preset
    V(bk_switch), V(bk_router), V(bk_load_balance) and V(bk_firewall) models, through the ESB
    components C(search_inst) and C(batch_delete_inst).
  - The requested ids are looked up first. Only ids that exist are deleted, in batches of
    O(batch_size); ids that do not exist are reported in RV(absent) and make no change. This
    matters because the server answers success for ids it does not have.
  - In check mode the look-up still runs and the result lists what would be deleted; no
    write request is sent.
  - Check mode proves that the ids exist and that the user may view them. What only the delete
    itself can tell is not checked - the delete permission (9900403), the application's
    permission for C(batch_delete_inst) (1306403) and associations to other instances (1101075) -
    so a real run can still fail where the dry run said "Would delete". Such a failure deletes
    nothing of its batch.
  - Instances of a custom level of the business topology (a mainline model placed between the
    business and its sets) are refused after the look-up, in check mode too, and nothing is
    deleted. CMDB would delete every level, set and module below such an instance in the same
    call, which no task asks for and no dry run could show.
  - When a delete's answer is lost (timeout, dropped connection, gateway error page) or is an
    error that may follow a completed delete (such as ESB 1306000 wrapping an unreadable CMDB
    answer, or CMDB 1199998), the batch's ids are looked up again before anything is reported
    or retried. Refusals that come before any change (9900403, 1101075 and the like) are not.
author:
  - BlueKing CMDB collection maintainers (@blueking-cmdb)
requirements:
  - requests
extends_documentation_fragment:
  - blueking.cmdb.connection
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
  action_group:
    description: Use C(group/blueking.cmdb.cmdb) in O(ignore:module_defaults) to set the connection options once.
    support: full
    membership:
      - blueking.cmdb.cmdb
options:
  bk_obj_id:
    description:
      - Id of the model whose instances are managed, for example V(bk_firewall).
      - The built-in models V(biz), V(set), V(module), V(host), V(process), V(plat),
        V(bk_biz_set_obj) and V(bk_project) are refused before any call; they have dedicated
        ESB APIs.
    type: str
    required: true
  state:
    description:
      - V(absent) deletes the instances listed in O(inst_ids).
    type: str
    required: true
    choices: [absent]
  inst_ids:
    description:
      - C(bk_inst_id) values of the instances to delete. Required with O(state=absent).
      - Integers of at least 1; strings of digits (as Jinja often produces) are accepted.
        Anything else, floats such as V(46.0) included, fails the task before any call, naming
        the bad elements.
      - As for every list option, Ansible also accepts a single id or a comma-separated string
        such as V(46,47).
      - Duplicates are dropped, order is kept. An empty list does nothing and makes no call.
    type: list
    elements: raw
  batch_size:
    description:
      - Most ids sent in one C(batch_delete_inst) request, from V(1) to V(500). Each request is
        one transaction on the server; a smaller batch keeps each request short and limits
        what a failure holds back.
    type: int
    default: 500
notes:
  - "The module talks to ESB over HTTP from wherever it runs; run it on the controller with
    C(delegate_to: localhost) (or C(hosts: localhost)), where C(requests) is installed."
  - If a batch fails, the batches before it stay deleted and no later batch is sent; the
    result lists RV(deleted) and RV(not_deleted) so that a re-run finishes the job.
seealso:
  - name: BlueKing CMDB API documentation
    description: The C(batch_delete_inst) and C(search_inst) components.
    link: https://github.com/TencentBlueKing/bk-cmdb/tree/master/docs/apidoc
"""

EXAMPLES = r"""
- name: Decommission retired firewalls
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/blueking.cmdb.cmdb:
      bk_paas_host: https://paas.example.com
      bk_app_code: ops-automation
      bk_app_secret: "{{ vault_bk_app_secret }}"
      bk_username: ops-bot
  tasks:
    - name: Delete firewall instances 1046 and 1047
      blueking.cmdb.bk_cc_instance:
        bk_obj_id: bk_firewall
        inst_ids: [1046, 1047]
        state: absent
      register: removed

    - name: Show what was deleted
      ansible.builtin.debug:
        msg: "{{ removed.deleted }} deleted, {{ removed.absent }} were already gone"

- name: Dry run from an inventory play, on the controller
  hosts: network_devices
  gather_facts: false
  tasks:
    - name: Show which switch records would be deleted
      blueking.cmdb.bk_cc_instance:
        bk_paas_host: https://paas.example.com
        bk_app_code: ops-automation
        bk_app_secret: "{{ vault_bk_app_secret }}"
        bk_token: "{{ bk_token }}"
        bk_obj_id: bk_switch
        inst_ids: "{{ groups['decommissioned'] | map('extract', hostvars, 'cmdb_inst_id') | list }}"
        batch_size: 200
        state: absent
      check_mode: true
      diff: true
      delegate_to: localhost
      run_once: true
"""

RETURN = r"""
msg:
  description: What was done, or why the task failed (API, code, message, request id, progress).
  returned: always
  type: str
  sample: Deleted 2 bk_firewall instances; 1 requested id did not exist.
deleted:
  description: Ids deleted by this run; in check mode, the ids that would be deleted.
  returned: always
  type: list
  elements: int
  sample: [1046, 1047]
absent:
  description: Requested ids that did not exist before the run (nothing to do for them).
  returned: always
  type: list
  elements: int
  sample: [1048]
instances:
  description: The instances in RV(deleted), as found by the look-up before the delete.
  returned: always
  type: list
  elements: dict
  contains:
    bk_inst_id:
      description: Instance id.
      type: int
    bk_inst_name:
      description: Instance name.
      type: str
    bk_obj_id:
      description: Model id.
      type: str
  sample:
    - {bk_inst_id: 1046, bk_inst_name: fw-sh-dc1-edge-01, bk_obj_id: bk_firewall}
    - {bk_inst_id: 1047, bk_inst_name: fw-sh-dc1-edge-02, bk_obj_id: bk_firewall}
request_ids:
  description: ESB C(request_id) of every call the task made, in order, for support tickets.
  returned: always
  type: list
  elements: str
  sample: [8c4f3a0e2b7d4f5c9e1a6b3d2c0f9e8a, 1f2e3d4c5b6a79880a1b2c3d4e5f6a7b]
not_deleted:
  description:
    - Requested ids that were not deleted because the task failed - the failed batch and every later one.
    - When the look-up before any delete failed, every requested id (nothing was deleted).
  returned: when the task failed after its arguments were accepted
  type: list
  elements: int
  sample: [1047]
unconfirmed:
  description:
    - Ids of a batch whose delete got no clear answer and whose look-up afterwards failed too;
      they may or may not be gone, so the task reports C(changed=true). Run the task again to
      settle them.
  returned: when the task failed after its arguments were accepted
  type: list
  elements: int
  sample: []
code:
  description: Error code from the server (ESB C(code) or CMDB C(bk_error_code)); null when there was no readable answer.
  returned: when the task failed after its arguments were accepted
  type: int
  sample: 9900403
request_id:
  description: ESB C(request_id) of the failed call, when the server sent one.
  returned: when the task failed after its arguments were accepted
  type: str
  sample: 2b1e0f6c3d9a4e7f8a5b6c7d8e9f0a1b
http_status:
  description: HTTP status of the failed call, when one arrived.
  returned: when the task failed after its arguments were accepted
  type: int
  sample: 200
permission:
  description: The permission object of a 9900403 answer, unchanged, to request the missing permission in the BlueKing permission centre.
  returned: failure, when the server sends one
  type: dict
  sample:
    system_id: bk_cmdb
    system_name: 配置平台
    actions:
      - id: delete_comobj_6
        name: 删除防火墙
        related_resource_types:
          - system_id: bk_cmdb
            type: comobj_6
            type_name: 防火墙
            instances:
              - - {type: comobj_6, id: "1046", name: fw-sh-dc1-edge-01}
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.blueking.cmdb.plugins.module_utils.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, mask_secrets
from ansible_collections.blueking.cmdb.plugins.module_utils.connection import (
    client_from_settings,
    connection_argument_spec,
    connection_settings,
    credential_warnings,
)
from ansible_collections.blueking.cmdb.plugins.module_utils.errors import InputError
from ansible_collections.blueking.cmdb.plugins.module_utils.instances import (
    check_batch_size,
    check_obj_id,
    delete_instances,
    normalize_inst_ids,
    public_instance,
)


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        bk_obj_id=dict(type="str", required=True),
        state=dict(type="str", required=True, choices=["absent"]),
        inst_ids=dict(type="list", elements="raw"),
        batch_size=dict(type="int", default=500),
    )
    return spec


def validate(params):
    """All task arguments checked before any HTTP call; raises ``InputError``."""
    if params["state"] == "absent" and params["inst_ids"] is None:
        # Checked here, not with required_if: Ansible reports a missing required option before
        # an unknown one, so a typo such as "inst_id:" would be hidden behind "inst_ids is
        # missing". A blank "inst_ids:" (null) must not pass as [] either.
        raise InputError("inst_ids is required with state=absent (it is missing or null); give [] to delete nothing on purpose")
    return dict(
        connection=connection_settings(params),
        obj_id=check_obj_id(params["bk_obj_id"]),
        inst_ids=normalize_inst_ids(params["inst_ids"]),
        batch_size=check_batch_size(params["batch_size"]),
    )


def _plural(count, word):
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


def summary(outcome, obj_id, check_mode, supplier_account="0"):
    absent = len(outcome.absent_ids)
    tail = "; %s did not exist" % _plural(absent, "requested id") if absent else ""
    if outcome.error is None:
        if not absent and not outcome.deleted_ids:
            return "inst_ids is empty; nothing to delete."
        if not outcome.deleted_ids:
            # The same answer comes from a wrong model or supplier account, so name both.
            return "Nothing to delete: %s not found in model %s (bk_supplier_account %s)." % (
                _plural(absent, "requested id"), obj_id, supplier_account)
        verb = "Would delete" if check_mode else "Deleted"
        return "%s %s%s." % (verb, _plural(len(outcome.deleted_ids), obj_id + " instance"), tail)
    if outcome.failed_batch is None:
        return "%s. Nothing was deleted." % outcome.error
    number, total, size = outcome.failed_batch
    text = "batch %d of %d (%s) failed: %s. Deleted %s before the failure; not deleted: %d" % (
        number, total, _plural(size, "id"), outcome.error, _plural(len(outcome.deleted_ids), "id"),
        len(outcome.not_deleted_ids))
    if outcome.unconfirmed_ids:
        text += "; unconfirmed (re-run to settle): %d" % len(outcome.unconfirmed_ids)
    return text + "."


def build_result(outcome, obj_id, check_mode, request_ids, diff_mode=False, supplier_account="0"):
    """The module result: the same keys in check mode and real runs, failure keys on top."""
    deleted_instances = [public_instance(outcome.existing[i]) for i in outcome.deleted_ids if i in outcome.existing]
    result = dict(
        changed=outcome.changed,
        msg=summary(outcome, obj_id, check_mode, supplier_account),
        deleted=list(outcome.deleted_ids),
        absent=list(outcome.absent_ids),
        instances=deleted_instances,
        request_ids=list(request_ids),
    )
    if diff_mode:
        before = [public_instance(outcome.existing[i]) for i in sorted(outcome.existing)]
        gone = set(outcome.deleted_ids)
        result["diff"] = dict(before=dict(instances=before), after=dict(instances=[i for i in before if i["bk_inst_id"] not in gone]))
    if outcome.error is not None:
        result.update(outcome.error.result_fields())
        result["not_deleted"] = list(outcome.not_deleted_ids)
        result["unconfirmed"] = list(outcome.unconfirmed_ids)
    return result


def refused_result(message):
    """The always-returned keys, empty: a task refused before any call, or the base of a failure that lost track."""
    return dict(changed=False, msg=message, deleted=[], absent=[], instances=[], request_ids=[])


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not HAS_REQUESTS:
        module.fail_json(exception=str(REQUESTS_IMPORT_ERROR), **refused_result(missing_required_lib("requests")))
    try:
        task = validate(module.params)
    except InputError as error:
        module.fail_json(**refused_result(str(error)))
    # A token read from BK_TOKEN was never an option, so Ansible does not know to hide it.
    if task["connection"]["token"]:
        module.no_log_values.add(task["connection"]["token"])
    for warning in credential_warnings(task["connection"]):
        module.warn(warning)

    client = client_from_settings(task["connection"], warn=module.warn)
    try:
        outcome = delete_instances(client, task["obj_id"], task["inst_ids"], task["batch_size"], module.check_mode)
    except Exception as error:  # pylint: disable=broad-exception-caught
        # A bug of ours must still end in a result that says where the run stood, never in a
        # bare "Module failed"; what was deleted before it is unknown, so the message says so.
        message = mask_secrets(
            "internal error of the module (%s: %s) after %d call(s); what was deleted before it is unknown: "
            "run the task again in check mode to see what is left" % (type(error).__name__, error, len(client.apis_called)),
            client.secrets)
        lost = refused_result(message)
        lost.update(changed="batch_delete_inst" in client.apis_called, request_ids=list(client.request_ids), not_deleted=[],
                    unconfirmed=list(task["inst_ids"]), code=None, request_id=None, http_status=None)
        module.fail_json(**lost)
    result = build_result(outcome, task["obj_id"], module.check_mode, client.request_ids, diff_mode=module._diff,
                          supplier_account=task["connection"]["supplier_account"])
    if outcome.error is not None:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
