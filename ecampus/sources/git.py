"""Reading a branch of a git repository with the `git` command, safely and with a time limit.

The repository is kept as a bare mirror in a cache folder, fetched on each sync; the
branch's tree is exported with `git archive` into a temporary folder. No hook runs, no
credential is asked for, and only plain paths, https and ssh are accepted as addresses
(git's `ext::` transport would run any command, `file::` and friends reach helpers).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

#: Protocols git may use, whatever the address or a submodule asks for.
ALLOWED_PROTOCOLS = "file:https:ssh"
_SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^:]")
_BRANCH = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)(?!.*@\{)[A-Za-z0-9._/-]{1,200}(?<![./])$")


class GitError(Exception):
    """A git operation that failed; the message is shown to the admin."""


@dataclass(frozen=True)
class Commit:
    """The commit a sync published: its id, author and message."""

    id: str
    author: str
    message: str


def check_url(url: str) -> str | None:
    """Why `url` may not be used as a course source, or None if it may."""
    if not url or len(url) > 1000 or any(ord(ch) < 32 for ch in url):
        return "Give a repository address."
    if url.startswith("-"):
        return "A repository address cannot start with '-'."
    if url.startswith(("https://", "ssh://")):
        return None
    if "::" in url or "://" in url:
        return "Only local paths, https:// and ssh:// addresses are accepted."
    if _SCP_LIKE.match(url):
        return None
    if url.startswith("/"):
        return None
    return "A local repository must be given by its absolute path."


def check_branch(branch: str) -> str | None:
    """Why `branch` is not a branch name git would accept, or None."""
    if not _BRANCH.match(branch or "") or branch.endswith(".lock"):
        return "Give a branch name such as main."
    return None


def _environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update({
        "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/false", "SSH_ASKPASS": "/bin/false",
        "GIT_ALLOW_PROTOCOL": ALLOWED_PROTOCOLS, "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new",
        "LC_ALL": "C",
    })
    return env


def _git(args: list[str], *, timeout: float, cwd: Path | None = None) -> bytes:
    command = ["git", "-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never",
               "-c", "protocol.file.allow=always", "-c", "core.fsmonitor=false", *args]
    try:
        done = subprocess.run(command, cwd=cwd, env=_environment(), capture_output=True,  # noqa: S603 - fixed argv, no shell
                              timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as error:
        raise GitError(f"git {args[0]} took longer than {timeout:g} s.") from error
    except FileNotFoundError as error:
        raise GitError("The git command is not installed on the server.") from error
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: " + (message[-1] if message else "no message"))
    return done.stdout


def fetch(url: str, branch: str, mirror: Path, *, timeout: float) -> Commit:
    """Bring the mirror of `url` up to date and return the head commit of `branch`."""
    problem = check_url(url) or check_branch(branch)
    if problem:
        raise GitError(problem)
    if (mirror / "HEAD").is_file():
        _git(["--git-dir", str(mirror), "remote", "set-url", "origin", "--", url],
             timeout=timeout)
        _git(["--git-dir", str(mirror), "fetch", "--prune", "--quiet", "--no-recurse-submodules",
              "origin"], timeout=timeout)
    else:
        mirror.parent.mkdir(parents=True, exist_ok=True)
        _git(["clone", "--mirror", "--quiet", "--no-local", "--", url, str(mirror)],
             timeout=timeout)
    ref = f"refs/heads/{branch}"
    try:
        commit_id = _git(["--git-dir", str(mirror), "rev-parse", "--verify", "--quiet",
                          f"{ref}^{{commit}}"], timeout=timeout).decode().strip()
    except GitError as error:
        raise GitError(f"The repository has no branch {branch}.") from error
    raw = _git(["--git-dir", str(mirror), "log", "-1", "--format=%an <%ae>%x00%B", commit_id,
                "--"], timeout=timeout).decode("utf-8", "replace")
    author, _, message = raw.partition("\0")
    return Commit(commit_id, author.strip(), message.strip())


def export_tree(mirror: Path, commit_id: str, destination: Path, *, timeout: float) -> None:
    """Write the files of `commit_id` into `destination`, which must exist and be empty.

    Only regular files and folders are written: links and anything outside `destination`
    are refused by tarfile's "data" filter.
    """
    data = _git(["--git-dir", str(mirror), "archive", "--format=tar", commit_id],
                timeout=timeout)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        members = [m for m in archive.getmembers() if m.isfile() or m.isdir()]
        archive.extractall(destination, members=members, filter="data")
