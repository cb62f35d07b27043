# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The harness itself: a module that crashes must fail the test that runs it, on every ansible-core.

Every "no traceback" promise of the integration tests rests on this check.
"""

import textwrap

import pytest

CRASHING_MODULE = textwrap.dedent('''\
    #!/usr/bin/python
    from ansible.module_utils.basic import AnsibleModule


    def main():
        AnsibleModule(argument_spec={}, supports_check_mode=True)
        raise RuntimeError("harness-probe-crash")


    if __name__ == "__main__":
        main()
''')

POLITE_MODULE = textwrap.dedent('''\
    #!/usr/bin/python
    from ansible.module_utils.basic import AnsibleModule


    def main():
        module = AnsibleModule(argument_spec={}, supports_check_mode=True)
        module.fail_json(msg="a polite failure")


    if __name__ == "__main__":
        main()
''')


@pytest.fixture
def library(tmp_path):
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "harness_crash.py").write_text(CRASHING_MODULE, encoding="utf-8")
    (folder / "harness_polite.py").write_text(POLITE_MODULE, encoding="utf-8")
    return {"ANSIBLE_LIBRARY": str(folder)}


def test_a_crashing_module_is_reported_as_a_crash(ansible, library):
    with pytest.raises(AssertionError) as info:
        ansible.run("harness_crash", {}, env=library)
    assert "the module crashed" in str(info.value)


def test_a_polite_failure_is_not_a_crash(ansible, library):
    run = ansible.run("harness_polite", {}, env=library)
    assert run.result["failed"] is True and run.result["msg"] == "a polite failure"
