"""Old Word formats (``.doc``, Kingsoft ``.wps``, RTF) → ``.docx`` with LibreOffice.

The one place reportdb runs an outside converter. LibreOffice is called
headless (``soffice --headless --convert-to docx``) with:

* a private, throw-away user profile (``-env:UserInstallation=file:///tmp/…``):
  two conversions sharing the default profile collide (the second one exits at
  once without converting), and a batch runs a conversion per worker process;
* a timeout, after which the whole process group is killed (soffice starts a
  child, ``oosplash`` → ``soffice.bin``), so a file that hangs the converter is
  a recorded failure and the batch goes on.

Without LibreOffice, such a file fails with a reason that names the missing
converter, never as an unsupported type.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .errors import ReadError

CONVERT_TIMEOUT = float(os.environ.get("REPORTDB_CONVERT_TIMEOUT", "120"))  # seconds
_NAMES = ("soffice", "libreoffice")


def converter() -> str | None:
    """The LibreOffice executable on PATH, if any."""
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def convert_to_docx(data: bytes, suffix: str, timeout: float = CONVERT_TIMEOUT) -> bytes:
    """The bytes of ``data`` (a ``suffix`` file) converted to ``.docx``."""
    kind = suffix.lower() or ".doc"
    exe = converter()
    if exe is None:
        raise ReadError(f"a {kind} file needs LibreOffice (soffice) to convert it; it is not installed")
    with tempfile.TemporaryDirectory(prefix="reportdb-office-") as tmp:
        work = Path(tmp)
        src = work / f"input{kind}"
        src.write_bytes(data)
        out = work / "out"
        profile = (work / "profile").as_uri()
        cmd = [exe, "--headless", "--norestore", "--nolockcheck", f"-env:UserInstallation={profile}",
               "--convert-to", "docx", "--outdir", str(out), str(src)]
        env = {**os.environ, "HOME": str(work)}  # nothing written to the user's home either
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise ReadError(f"LibreOffice did not convert the {kind} file within {timeout:g} s") from None
        result = out / "input.docx"
        if not result.is_file():
            why = next((ln for ln in reversed(err.decode("utf-8", "replace").splitlines())
                        if ln.strip() and "javaldx" not in ln), f"exit status {proc.returncode}")
            raise ReadError(f"LibreOffice could not convert the {kind} file ({why.strip()[:160]})")
        return result.read_bytes()


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()

