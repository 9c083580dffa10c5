"""`hil-rig run tsat-windows`: every case's DUIS code and journal note as the Release 2 tables
say, on a clock that starts on 01/10/2018; the DCC's journal carries the requests' dates."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from rig.cli import main
from rig.scenarios.tsat_windows import CASES


def test_tsat_windows_run_passes_case_by_case_on_its_dates(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "tsat-windows", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["outcome"] == "pass"
    assert [s["name"] for s in record["steps"]] == [c.spec.name for c in CASES]
    outcomes = {c.code.value for c in CASES}
    assert {"I0", "I99", "E5", "E120203"} <= outcomes  # allowed, sent, refused both ways
    assert sum("TSAT warning" in c.note for c in CASES) >= 3
    with sqlite3.connect(tmp_path / "dcc.sqlite") as db:
        dates = [row[0][:10] for row in db.execute("SELECT at FROM journal_request")]
    assert dates[0] == "2018-10-01" and dates[-1] == "2019-10-28"
    assert "2018-11-01" in dates
