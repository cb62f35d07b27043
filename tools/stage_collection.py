"""Copy the collection's files into a directory shaped like ansible_collections/blueking/cmdb.

ansible-test and ansible-playbook only find a collection below a real (not symlinked) path
ending in ansible_collections/<namespace>/<name>. The repository root is the collection root,
so we stage a copy: every file git tracks plus untracked files git does not ignore (so work in
progress is tested too), never virtualenvs, build output or ansible-test's own output.
"""

import os
import shutil
import subprocess
import sys


def collection_files(repo_root):
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo_root, check=True, capture_output=True,
    ).stdout.decode()
    # Files deleted in the work tree but still in the index are listed too; skip them.
    return sorted(p for p in set(out.split("\0")) if p and os.path.isfile(os.path.join(repo_root, p)))


def make_own_repository(dest):
    """Give the staged copy a git repository of its own.

    ansible-test, ansible-lint and antsibull-docs list files with git when they find a
    repository above them. The default stage lives in build/, which the project's
    .gitignore excludes, so from the outer repository they would see no files at all and
    pass having checked nothing. An empty repository at the stage root lists every file
    there (less what the copied .gitignore excludes, such as tests/output/).
    """
    subprocess.run(["git", "init", "--quiet", dest], check=True)


def stage(repo_root, dest):
    if not dest.rstrip("/").endswith(os.path.join("ansible_collections", "blueking", "cmdb")):
        raise SystemExit("destination must end in ansible_collections/blueking/cmdb: %s" % dest)
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    for rel in collection_files(repo_root):
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(repo_root, rel), target)
    make_own_repository(dest)


def main():
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dest = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo_root, "build", "ansible_collections", "blueking", "cmdb"))
    stage(repo_root, dest)
    print(dest)


if __name__ == "__main__":
    main()
