"""Archive files: written whole or not at all, also while another archive writes the same file."""

from __future__ import annotations

import os
import time
from pathlib import Path

from airflow_provider_legallymail.evidence.files import publish, remove_parts, staged, to_path


def test_an_abandoned_part_is_removed_but_one_being_written_by_another_archive_is_not(tmp_path: Path) -> None:
    final = to_path(str(tmp_path / "acta.pdf"))
    abandoned = tmp_path / ".acta.pdf.crashed.part"
    abandoned.write_bytes(b"%PDF-half")
    hour_ago = time.time() - 3600
    os.utime(abandoned, (hour_ago, hour_ago))

    with staged(final) as other:  # another DAG's archive of the same contract, mid-download
        other.write(b"%PDF-1.4 signed")
        assert remove_parts(final) == 1  # this archive starts: it cleans up only what nobody writes
        assert not abandoned.exists()
        publish(other, final)  # the other archive still finishes
    assert (tmp_path / "acta.pdf").read_bytes() == b"%PDF-1.4 signed"
    assert [p.name for p in tmp_path.iterdir()] == ["acta.pdf"]
