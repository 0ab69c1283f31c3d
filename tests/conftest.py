from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seeds" / "000_f3987e0d89fa98e7.txt"
SAMPLES = ROOT / "fixtures" / "samples"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    if not SEED.exists():
        pytest.fail(f"the real seed report is expected at {SEED} (CI has ../shared beside the repo)")
    return SEED
