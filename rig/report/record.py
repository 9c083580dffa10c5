"""``record.json``: the one JSON test record of a run (OpenHTF's test record, our field names).

The top-level fields and the step fields are a contract read by outside tools; more may be added,
none renamed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rig.scenarios.context import RunRecord

RECORD_FILE = "record.json"


def to_json(run: RunRecord) -> dict[str, Any]:
    return {
        "scenario": run.scenario,
        "outcome": run.outcome.value,
        "seed": run.seed,
        "acb_eui": None if run.acb_eui is None else str(run.acb_eui),
        "modelled_seconds": round(run.modelled_seconds, 6),
        "wall_seconds": round(run.wall_seconds, 3),
        "steps": [s.to_json() for s in run.steps],
        "smi": [row.to_json() for row in run.smi],
        "description": run.description,
        "started_at": run.started_at,
        "error": run.error,
        "gbcs": [
            {
                "file": f"gbcs/{m.path.name}",
                "message_code": f"{m.message_code:04X}",
                "cra": m.cra.name.lower(),
                "t": round(m.time, 6),
            }
            for m in run.gbcs
        ],
        "keys_revealed": run.keys_revealed,
    }


def write(run: RunRecord, out: Path) -> Path:
    path = out / RECORD_FILE
    path.write_text(json.dumps(to_json(run), indent=2) + "\n", encoding="utf-8")
    return path
