# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module of this collection the way a user does: `ansible-playbook` in a subprocess.

Nothing here knows about CMDB. A playbook is built from Python data, written as JSON (which is
YAML, so booleans, floats and strings reach Ansible exactly as the test wrote them), and run
against `localhost` with the interpreter running pytest. The full result of every task (what
`register` would hold, plus `invocation`) is written to a file by the `registered_results`
callback next to this file, in --check runs as well.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

NAMESPACE = "blueking"
COLLECTION = "cmdb"

# The parent environment must not leak settings into a test: a developer's BK_* variables,
# ANSIBLE_* configuration or proxies would change what the module does.
_SCRUBBED_PREFIXES = ("BK_", "ANSIBLE_")
_SCRUBBED_NAMES = {"http_proxy", "https_proxy", "no_proxy", "all_proxy", "requests_ca_bundle", "ssl_cert_file", "curl_ca_bundle"}

CALLBACK_DIR = Path(__file__).resolve().parent / "harness_callbacks"
CALLBACK_NAME = "registered_results"

# Signs that a module crashed instead of failing politely.
CRASH_MARKERS = ("Traceback (most recent call last)", "MODULE FAILURE")
# ansible-core 2.19+ reports an uncaught exception only as this result msg. (Its console line
# "[ERROR]: Task failed: Module failed: ..." is printed for polite failures too.)
CRASH_MSG_PREFIX = "Task failed: Module failed"


class HarnessError(AssertionError):
    """The playbook did not produce results: a problem of the run, not of an assertion."""


def find_collections_root(start):
    """Return the directory that holds ansible_collections/blueking/cmdb above `start`, or None."""
    for parent in Path(start).resolve().parents:
        if (parent.name, parent.parent.name, parent.parent.parent.name) == (COLLECTION, NAMESPACE, "ansible_collections"):
            return parent.parent.parent.parent
    return None


def hermetic_environ(base=None):
    """A copy of the environment without anything that configures Ansible, BlueKing or proxies."""
    base = os.environ if base is None else base
    return {
        key: value for key, value in base.items()
        if not key.startswith(_SCRUBBED_PREFIXES) and key.lower() not in _SCRUBBED_NAMES
    }


def ansible_playbook_command():
    """ansible-playbook of the same installation as the running interpreter, else the one on PATH."""
    sibling = Path(sys.executable).parent / "ansible-playbook"
    if sibling.is_file():
        return str(sibling)
    found = shutil.which("ansible-playbook")
    if not found:
        raise HarnessError("ansible-playbook is not installed next to %s nor on PATH" % sys.executable)
    return found


class PlaybookRun:
    """What one ansible-playbook run gave: exit code, output, the registered task results."""

    def __init__(self, argv, rc, stdout, stderr, results, elapsed):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.results = results
        self.elapsed = elapsed

    @property
    def result(self):
        """The registered result of the only (or first) task."""
        return self.results[0]

    @property
    def output(self):
        return self.stdout + "\n" + self.stderr

    def describe(self):
        """Everything needed to understand a failed assertion, for assertion messages."""
        return "argv: %s\nrc: %s\nresults: %s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            " ".join(self.argv), self.rc, json.dumps(self.results, indent=1, default=str)[:6000], self.stdout[-6000:], self.stderr[-4000:])

    def crash_evidence(self):
        """Lines that show a traceback or a MODULE FAILURE anywhere in the run, [] when clean."""
        text = self.output + "\n" + json.dumps(self.results, default=str)
        return [marker for marker in CRASH_MARKERS if marker in text] + [
            "module_stderr in result %d" % index for index, result in enumerate(self.results) if result.get("module_stderr")] + [
            "result %d: %s" % (index, result["msg"]) for index, result in enumerate(self.results)
            if str(result.get("msg", "")).startswith(CRASH_MSG_PREFIX)]

    def leaks(self, secrets):
        """Which of `secrets` appear in the output or in any registered result."""
        text = self.output + "\n" + json.dumps(self.results, default=str)
        return [secret for secret in secrets if secret and secret in text]


class PlaybookRunner:
    """Builds and runs one-play playbooks for localhost in a private working directory."""

    def __init__(self, workdir, collections_root, interpreter=None, forbidden_strings=()):
        self.workdir = Path(workdir)
        self.collections_root = Path(collections_root)
        self.interpreter = interpreter or sys.executable
        # Strings that must never show up in any run (for example secrets every test sends).
        self.forbidden_strings = list(forbidden_strings)
        self._count = 0

    def environ(self, extra=None):
        env = hermetic_environ()
        private = self.workdir / "ansible"
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": str(self.collections_root),
            # An installed copy of the collection in site-packages must not shadow the one under test.
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "False",
            # An empty configuration file: no ansible.cfg of the developer or of a cwd applies.
            "ANSIBLE_CONFIG": str(self._empty_config(private)),
            "ANSIBLE_HOME": str(private / "home"),
            "ANSIBLE_LOCAL_TEMP": str(private / "local-tmp"),
            "ANSIBLE_REMOTE_TEMP": str(private / "remote-tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_STDOUT_CALLBACK": "default",
            # Keep [WARNING] lines for what the module says, not for the implicit localhost.
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
            "ANSIBLE_CALLBACKS_ENABLED": CALLBACK_NAME,
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        env.update(extra or {})
        return env

    @staticmethod
    def _empty_config(private):
        config = private / "ansible.cfg"
        if not config.exists():
            private.mkdir(parents=True, exist_ok=True)
            with open(config, "w", encoding="utf-8") as handle:
                handle.write("# written by the integration harness: no settings on purpose\n")
        return config

    def playbook(self, tasks, module_defaults=None, play_vars=None):
        play_vars = dict(play_vars or {})
        play_vars.setdefault("ansible_python_interpreter", self.interpreter)
        play_vars.setdefault("ansible_connection", "local")
        play = {"name": "harness", "hosts": "localhost", "gather_facts": False, "vars": play_vars, "tasks": []}
        if module_defaults:
            play["module_defaults"] = module_defaults
        for index, task in enumerate(tasks):
            # ignore_errors keeps the play going, so a failed task does not hide the ones after it.
            play["tasks"].append(dict(task, register="result_%d" % index, ignore_errors=True))
        return [play]

    def run_tasks(self, tasks, check=False, diff=False, verbosity=0, env=None, module_defaults=None, play_vars=None, extra_vars=None, timeout=300):
        """Run `tasks` (dicts as in a playbook) in one play; return a PlaybookRun.

        `extra_vars` go through a file given with `-e @file`, the way secrets reach a real play
        (vault, AWX credentials): the playbook text, which Ansible quotes around a failed task,
        then never holds them.
        """
        self._count += 1
        rundir = self.workdir / ("run-%02d" % self._count)
        rundir.mkdir(parents=True)
        results_file = rundir / "results.json"
        playbook_file = rundir / "playbook.json"
        with open(playbook_file, "w", encoding="utf-8") as handle:
            json.dump(self.playbook(tasks, module_defaults, play_vars), handle, indent=2)
        argv = [ansible_playbook_command(), "-i", "localhost,", str(playbook_file)]
        if extra_vars:
            vars_file = rundir / "extra_vars.json"
            with open(vars_file, "w", encoding="utf-8") as handle:
                json.dump(extra_vars, handle)
            argv.extend(["-e", "@%s" % vars_file])
        if check:
            argv.append("--check")
        if diff:
            argv.append("--diff")
        if verbosity:
            argv.append("-" + "v" * verbosity)
        started = time.monotonic()
        try:
            proc = subprocess.run(argv, cwd=rundir, env=self.environ(dict(env or {}, HARNESS_RESULTS_FILE=str(results_file))),
                                  capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise HarnessError("ansible-playbook did not finish within %ss: %s" % (timeout, " ".join(argv))) from exc
        elapsed = time.monotonic() - started
        results = []
        if results_file.exists():
            with open(results_file, encoding="utf-8") as handle:
                results = json.load(handle)
        run = PlaybookRun(argv, proc.returncode, proc.stdout, proc.stderr, results, elapsed)
        if len(results) != len(tasks):
            raise HarnessError("expected %d task results, got %d (did the playbook run?)\n%s" % (len(tasks), len(results), run.describe()))
        return run

    def run(self, module, args, **options):
        """Run one task `module: args` and check it neither crashed nor leaked a forbidden string."""
        run = self.run_tasks([{"name": "module under test", module: args}], **options)
        self.check_invariants(run)
        return run

    def check_invariants(self, run):
        crashes = run.crash_evidence()
        if crashes:
            raise AssertionError("the module crashed (%s)\n%s" % (", ".join(crashes), run.describe()))
        leaked = run.leaks(self.forbidden_strings)
        if leaked:
            raise AssertionError("forbidden strings %r appear in the output\n%s" % (leaked, run.describe()))
