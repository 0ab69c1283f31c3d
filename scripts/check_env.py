"""Checks that a virtual environment holds exactly what the lock files say.

`make setup` runs it after installing: every package the locks pin for this
interpreter and platform must be installed at that version, and nothing else may be
(reportdb itself aside). A venv that drifted from the lock — a package added by
hand, a stale install after the lock changed — fails here, before any test runs, with
the differences named. Run by the venv's own Python:

    .venv/bin/python scripts/check_env.py requirements.lock requirements/build.lock
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def pinned(lock: Path) -> dict[str, str]:
    """Name → version of every requirement in a hashed lock that applies here."""
    out: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = PIN.match(line)
        if not m:
            continue
        name, version, marker = m.groups()
        if marker and not Marker(marker).evaluate():
            continue
        out[canonicalize_name(name)] = version
    return out


def installed() -> dict[str, str]:
    return {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}


def main(argv: list[str]) -> int:
    want: dict[str, str] = {}
    for path in argv or ["requirements.lock", "requirements/build.lock"]:
        want.update(pinned(Path(path)))
    have = installed()
    have.pop("reportdb", None)
    problems = [f"missing: {n}=={v}" for n, v in sorted(want.items()) if n not in have]
    problems += [f"version: {n} is {have[n]}, the lock says {v}"
                 for n, v in sorted(want.items()) if n in have and have[n] != v]
    problems += [f"not in the lock: {n}=={v}" for n, v in sorted(have.items()) if n not in want]
    if problems:
        print("the environment differs from the lock (remove .venv and run make setup):", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print(f"environment matches the lock: {len(want)} packages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
