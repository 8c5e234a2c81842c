"""Refresh components/aws/data/me-central-1.json from the `moto` package's EC2 offerings data.

moto ships `describe-instance-type-offerings` snapshots per region and zone; this derives the
UAE region's zones and which accelerated (GPU) instance types each zone offers. Run with:

    .tools/uv/bin/uv run --with moto==5.2.5 python scripts/refresh_region_catalogue.py

and commit the changed data file. Verify live with
`aws ec2 describe-instance-type-offerings --location-type availability-zone --region me-central-1`.
"""
from __future__ import annotations

import datetime
import gzip
import json
import sys
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

REGION = "me-central-1"
ACCELERATED_FAMILIES = ("g", "p", "trn", "inf", "dl")
TARGET = Path(__file__).resolve().parents[1] / "components" / "aws" / "data" / (REGION + ".json")


def main() -> int:
    import moto

    base = Path(moto.__file__).parent / "ec2" / "resources" / "instance_type_offerings"
    by_zone = _load(base / "availability-zone" / (REGION + ".json.gz"))
    by_zone_id = _load(base / "availability-zone-id" / (REGION + ".json.gz"))
    gpu_info = {name: info.get("GpuInfo") for name, info in _load(base.parent / "instance_types.json.gz").items()}
    zones = sorted({row["Location"] for row in by_zone})
    zone_ids = sorted({row["Location"] for row in by_zone_id})
    offerings = defaultdict(set)
    for row in by_zone:
        family = row["InstanceType"].split(".")[0]
        if family.startswith(ACCELERATED_FAMILIES) and any(c.isdigit() for c in family):
            offerings[row["InstanceType"]].add(row["Location"])
    document = {
        "region": REGION,
        "displayName": "Middle East (UAE)",
        "optIn": True,
        "zones": zones,
        "zoneIds": zone_ids,
        "acceleratedInstanceTypes": {t: sorted(z) for t, z in sorted(offerings.items())},
        "gpusPerInstance": {t: sum(g["Count"] for g in gpu_info[t]["Gpus"])
                            for t in sorted(offerings) if (gpu_info.get(t) or {}).get("Gpus")},
        "source": "moto %s: moto/ec2/resources/instance_type_offerings/{availability-zone,availability-zone-id}/%s.json.gz"
        " and moto/ec2/resources/instance_types.json.gz (GpuInfo)" % (version("moto"), REGION),
        "retrieved": datetime.date.today().isoformat(),
    }
    TARGET.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print("wrote %s: %d zones, %d accelerated types" % (TARGET, len(zones), len(offerings)))
    return 0


def _load(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


if __name__ == "__main__":
    sys.exit(main())
