# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback of the integration harness: write every task result of a run to one JSON file.

A last `copy` task could save registered results too, but it runs a module and costs most of a
second per playbook; a callback sees the same results for free, in --check runs as well.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: registered_results
type: aggregate
short_description: Save task results to the file named by HARNESS_RESULTS_FILE
description:
  - Test harness only. Collects the result of every task, in order, and writes them as a JSON
    list when the playbook ends.
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "registered_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.results = []

    def _record(self, result, status):
        # `result` is the 2.19+ property; older cores only have `_result`.
        data = getattr(result, "result", None)
        if data is None:
            data = result._result  # pylint: disable=protected-access
        saved = {key: value for key, value in data.items() if not key.startswith("_ansible")}
        saved.setdefault("failed", status == "failed")
        saved["harness_status"] = status
        saved["harness_task"] = result.task_name
        self.results.append(saved)

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("HARNESS_RESULTS_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.results, handle, default=str)
