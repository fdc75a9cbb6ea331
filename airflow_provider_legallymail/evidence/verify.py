"""``legallymail-verify-archive PATH``: re-check an evidence archive against its manifests, as an auditor would.

PATH is a ``manifest.json``, an archived id's folder, or any folder above (every manifest below is
checked); a URL (``s3://bucket/evidence``) works where Airflow's object storage reaches. Without PATH, the
whole archive at ``[legallymail] evidence_path`` (the operator's default destination) is checked. Exit
status 0 when every archive the root's index lists is there with its manifest, every manifest is indexed,
and every file is listed and present with its recorded SHA-256; 1 otherwise (each problem named), 2 on bad
usage. ``--adopt`` first indexes archives written before the index existed (once, after upgrading).
"""

from __future__ import annotations

import argparse
import sys

from airflow_provider_legallymail.evidence.destination import default_destination
from airflow_provider_legallymail.evidence.manifest import adopt_unindexed, verify_archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="legallymail-verify-archive", description="Re-check an evidence archive against its manifest.json files."
    )
    parser.add_argument(
        "path",
        nargs="?",
        help="a manifest.json, an archive folder, or a folder above (local path or URL); "
        "default: [legallymail] evidence_path",
    )
    parser.add_argument(
        "--adopt",
        action="store_true",
        help="first index, as they are now, the archives under PATH (the archive root) that no index lists: "
        "archives written before the index existed; once, after upgrading",
    )
    args = parser.parse_args(argv)
    path = args.path or default_destination()
    if args.adopt:
        for folder in adopt_unindexed(path):
            print(f"ADOPTED {folder}: indexed as it is now")
    report = verify_archive(path)
    print(report.to_text())
    return 0 if report.ok else 1


if __name__ == "__main__":  # python -m airflow_provider_legallymail.evidence.verify PATH
    sys.exit(main())
