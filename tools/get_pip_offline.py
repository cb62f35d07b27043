"""Offline stand-in for the get-pip.py script that `ansible-test sanity --venv` downloads.

ansible-test bootstraps pip into each fresh virtual environment by running a get-pip.py it
fetches from ci-files.testing.ansible.com and caches as ~/.ansible/test/cache/get_pip_<ver>.py.
That host is not reachable from our CI machines, so tools/sanity.sh seeds the cache with this
file instead. It does what get-pip does, with tools already on the machine:

1. `python -m ensurepip --upgrade` puts the pip bundled with the interpreter into the venv.
   It runs in a child process on purpose: ensurepip points PIP_CONFIG_FILE at os.devnull in
   its own process, which would hide the machine's pip configuration (local indexes,
   find-links, certificates) from the install in step 2.
2. `python -m pip install --upgrade <arguments>` installs the exact pip version ansible-test
   asked for. get-pip.py accepts `--no-setuptools` and `--no-wheel`; pip install does not,
   so those two are dropped.

The marker line below lets tools/sanity.sh tell this stand-in from a real get-pip.py.
"""
# blueking.cmdb offline get-pip stand-in

import subprocess
import sys

GET_PIP_ONLY_FLAGS = frozenset(("--no-setuptools", "--no-wheel"))


def pip_install_arguments(argv):
    """Return get-pip's command line arguments with the flags pip install rejects removed."""
    return [arg for arg in argv if arg not in GET_PIP_ONLY_FLAGS]


def main(argv):
    ensurepip = subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], check=False)
    if ensurepip.returncode != 0:
        sys.stderr.write("get_pip_offline: ensurepip failed (exit %d); this Python has no bundled pip\n" % ensurepip.returncode)
        return ensurepip.returncode
    command = [sys.executable, "-m", "pip", "install", "--upgrade"] + pip_install_arguments(argv)
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
