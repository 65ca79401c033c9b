"""The command line's conventions, as a script or another program relies on them: exit
codes by what to do next, errors as JSON with ``--format json``, ``$ESCFLOW_FLOWS``,
typed ``--attr`` values, ``--version``, and JSON reports of the commands that write."""

from __future__ import annotations

import importlib.metadata
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FLOWS, ROOT, escflow

MONDAY = "2026-11-23T10:00+01:00"  # inside the rota's hours: nothing is held


def opened(tmp_path: Path, *options: str) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    """A store in ``tmp_path`` with ticket T-1 opened; the options that reach it."""
    db = ["--db", f"sqlite:///{tmp_path / 't.db'}", "--flows", str(FLOWS)]
    done = escflow("ticket", "open", "complaint", "--id", "T-1", "--at", MONDAY, *options, *db)
    assert done.returncode == 0, done.stderr
    return db, done


def test_version_is_the_installed_distributions() -> None:
    done = escflow("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"escflow {importlib.metadata.version('escflow')}"


def test_a_refused_call_exits_1_and_says_its_fields_as_json(tmp_path: Path) -> None:
    db, _ = opened(tmp_path)
    late = ["--at", MONDAY]  # the ticket as it was then: now, the timer moved it on
    refused = escflow("ticket", "fire", "T-1", "no-such-trigger", *late, "--format", "json", *db)
    assert refused.returncode == 1
    assert refused.stdout == ""
    error = json.loads(refused.stderr)
    assert error["error"] == "UnknownTrigger"
    assert error["ticket_id"] == "T-1"
    assert error["step"] == "level-1"
    assert "asks-for-manager" in error["valid_triggers"]
    assert "no trigger 'no-such-trigger'" in error["message"]
    as_text = escflow("ticket", "fire", "T-1", "no-such-trigger", *late, *db)
    assert as_text.returncode == 1
    assert as_text.stderr.startswith("escflow: ticket 'T-1'")


def test_an_unknown_ticket_is_named_in_the_json_error(tmp_path: Path) -> None:
    db, _ = opened(tmp_path)
    for args in (["ticket", "show", "NOPE", *db[2:]], ["render", "--ticket", "NOPE", "-o", "out"]):
        done = escflow(*args, "--format", "json", *db[:2], cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        error = json.loads(done.stderr)
        assert (error["error"], error["ticket_id"]) == ("UnknownTicket", "NOPE")


def test_definition_errors_come_as_located_problems(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "matrix.yaml").write_text((FLOWS / "matrix.yaml").read_text())
    (flows / "broken.yaml").write_text("id: broken\nlevels: [\n")
    done = escflow("render", str(flows), "-o", str(tmp_path / "out"), "--format", "svg,json")
    assert done.returncode == 1
    (error,) = [json.loads(line) for line in done.stderr.splitlines()]
    assert error["error"] == "BrokenDefinitions"
    assert "validate" in error["message"]
    (problem,) = error["problems"]
    assert problem["file"].endswith("broken.yaml"), problem
    assert problem["line"] == 3, problem
    as_text = escflow("render", str(flows), "-o", str(tmp_path / "out"))
    lines = as_text.stderr.splitlines()
    assert lines[0].startswith(f"{flows / 'broken.yaml'}:")
    assert ": L004 YAML syntax error" in lines[0]
    assert lines[-1].startswith("escflow: the definitions have errors; fix them")


def test_a_locked_store_exits_75_try_again_later(tmp_path: Path) -> None:
    db, _ = opened(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "db.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n",
            str(tmp_path / "t.db"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        done = escflow("ticket", "ack", "T-1", "--format", "json", *db)
        assert done.returncode == 75, done.stderr  # sysexits' EX_TEMPFAIL
        assert json.loads(done.stderr)["error"] == "RetryLater"
        assert "locked by another program" in json.loads(done.stderr)["message"]
    finally:
        holder.kill()
        holder.wait()
    assert escflow("ticket", "ack", "T-1", *db).returncode == 0, "free again: it works"


def test_an_unreachable_postgresql_exits_75(tmp_path: Path) -> None:
    # Port 9 (discard) on this machine: nothing listens, the connection is refused at once.
    url = "postgresql://escflow@127.0.0.1:9/none?connect_timeout=2"
    done = escflow("ticket", "show", "T-1", "--db", url, "--flows", str(FLOWS))
    assert done.returncode == 75, done.stderr
    assert "nothing answers at host 127.0.0.1 port 9" in done.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    done = escflow("ticket", "fire", "--no-such-option", "--flows", str(FLOWS))
    assert done.returncode == 2
    assert "usage:" in done.stderr


def test_escflow_flows_is_the_default_definitions(tmp_path: Path) -> None:
    environ = {"ESCFLOW_FLOWS": str(FLOWS), "ESCFLOW_DB": f"sqlite:///{tmp_path / 't.db'}"}
    checked = escflow("validate", cwd=tmp_path, environ=environ)
    assert checked.returncode == 0, checked.stderr
    assert "0 errors" in checked.stdout, checked.stderr
    done = escflow("ticket", "open", "complaint", "--at", MONDAY, cwd=tmp_path, environ=environ)
    assert done.returncode == 0, done.stderr
    nowhere = {**environ, "ESCFLOW_FLOWS": str(tmp_path / "gone")}
    missing = escflow("ticket", "open", "complaint", cwd=tmp_path, environ=nowhere)
    assert missing.returncode == 1
    assert f"no definitions at {tmp_path / 'gone'} (from $ESCFLOW_FLOWS)" in missing.stderr
    given = escflow("validate", str(FLOWS), cwd=tmp_path, environ=nowhere)
    assert given.returncode == 0, "a PATH given wins over the variable"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("vip=true", ("vip", True)),
        ("vip=false", ("vip", False)),
        ("tier=2", ("tier", 2)),
        ("score=-1.5", ("score", -1.5)),
        ('code="007"', ("code", "007")),
        ("code=007", ("code", "007")),  # not a JSON number: text as written
        ("region=north", ("region", "north")),
        ("note=NaN", ("note", "NaN")),
        ("empty=", ("empty", "")),
        ("list=[1]", ("list", "[1]")),
    ],
)
def test_attr_values_are_typed_as_the_python_api_types_them(
    tmp_path: Path, given: str, kept: tuple[str, object]
) -> None:
    _, done = opened(tmp_path, "--attr", given, "--format", "json")
    name, value = kept
    attrs = json.loads(done.stdout)["ticket"]["attrs"]
    assert attrs == {name: value}
    assert type(attrs[name]) is type(value)
    with sqlite3.connect(tmp_path / "t.db") as stored:
        (row,) = stored.execute("SELECT attrs FROM tickets WHERE id = 'T-1'").fetchall()
    assert json.loads(row[0]) == {name: value}


def test_db_upgrade_reports_as_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    first = json.loads(escflow("db", "upgrade", "--db", url, "--format", "json").stdout)
    migrations = sorted(p.name for p in (Path("src/escflow/store/sql/sqlite")).glob("*.sql"))
    assert first["schema_before"] == 0
    assert first["applied"] == migrations
    assert first["schema"] == len(migrations)
    again = json.loads(escflow("db", "upgrade", "--db", url, "--format", "json").stdout)
    assert (again["schema_before"], again["schema"], again["applied"]) == (
        len(migrations),
        len(migrations),
        [],
    )


def test_render_reports_the_files_it_wrote_as_json(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = escflow("render", str(FLOWS), "-o", str(out), "--format", "dot,json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    written = sorted(str(p) for p in out.iterdir())
    assert sorted(report["files"]) == written
    flows = sorted(p.stem for p in FLOWS.glob("*.yaml") if p.stem != "matrix")
    assert report["flows"] == flows
    assert len(written) == len(flows) + 1


def test_worker_once_reports_its_round_as_the_last_json_line(tmp_path: Path) -> None:
    db, _ = opened(tmp_path)
    escalated = escflow("ticket", "fire", "T-1", "asks-for-manager", "--at", MONDAY, *db)
    assert escalated.returncode == 0, escalated.stderr
    pending = sqlite3.connect(tmp_path / "t.db").execute("SELECT count(*) FROM outbox").fetchone()
    done = escflow("worker", "--once", "--log-unhandled", "--format", "json", *db)
    assert done.returncode == 0, done.stderr
    *actions, last = [json.loads(line) for line in done.stdout.splitlines()]
    # The actions log is standard output here; the catch-up to now queued more than those.
    assert len(actions) == last["round"]["delivered"] >= pending[0] > 0
    assert last["round"]["stopped"] is False
    assert last["round"]["failed"] == 0


def test_the_readmes_json_error_is_what_fire_prints(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"^\$ escflow ticket fire T-1 nope --format json\n(\{.*\})$", readme, re.M)
    assert shown is not None, "the README shows a JSON error"
    db, _ = opened(tmp_path)
    done = escflow("ticket", "fire", "T-1", "nope", "--at", MONDAY, "--format", "json", *db)
    assert json.loads(done.stderr) == json.loads(shown.group(1))


def test_export_and_import_report_as_json(tmp_path: Path) -> None:
    sheet = tmp_path / "matrix.xlsx"
    exported = escflow("export", str(FLOWS), "-o", str(sheet), "--format", "json")
    assert exported.returncode == 0, exported.stderr
    said = json.loads(exported.stdout)
    flows = sorted(p.stem for p in FLOWS.glob("*.yaml") if p.stem != "matrix")
    assert said["flows"] == flows
    assert said["bytes"] == sheet.stat().st_size
    out = tmp_path / "imported"
    imported = escflow("import", str(sheet), "-o", str(out), "--format", "json")
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert sorted(report["written"]) == sorted(str(p) for p in out.iterdir())
    definitions = sorted(str(p) for p in out.iterdir() if p.suffix == ".yaml")
    assert sorted(report["files"]) == definitions
    assert report["categories"] == len(flows)
    assert report["dry_run"] is False


def test_an_import_refused_says_its_cells_as_json(tmp_path: Path) -> None:
    sheet = tmp_path / "broken.csv"
    template = escflow("import", "--template", str(sheet), "--format", "json")
    assert json.loads(template.stdout) == {"template": str(sheet)}
    sheet.write_text(
        "Escalation level,Level 1\nContact point,Agent\nTimeline,soon\nOrder status,\n",
        encoding="utf-8",
    )
    out = tmp_path / "imported"
    refused = escflow("import", str(sheet), "-o", str(out), "--format", "json")
    assert refused.returncode == 1
    assert refused.stdout == ""
    error = json.loads(refused.stderr)
    assert error["error"] == "SheetError"
    assert [(p["code"], p["path"]) for p in error["problems"]] == [("X003", "Matrix!B3")]
    assert not out.exists()


@pytest.mark.parametrize(
    ("flow", "opened_at", "local", "utc", "deadline"),
    [
        # Europe/Paris in November is UTC+1; level 1's window is 15-30 minutes
        ("complaint", "2026-11-23T10:00+01:00", "2026-11-23T10:00:00+01:00",
         "2026-11-23T09:00:00+00:00", "2026-11-23T10:30:00+01:00"),
        # Asia/Jakarta is UTC+7; level 1's window is 5-15 minutes, inside 08:00-12:00
        ("bantuan-id", "2026-11-23T09:00+07:00", "2026-11-23T09:00:00+07:00",
         "2026-11-23T02:00:00+00:00", "2026-11-23T09:15:00+07:00"),
    ],
)  # fmt: skip
def test_ticket_text_shows_the_calendars_time_and_json_keeps_utc(
    tmp_path: Path, flow: str, opened_at: str, local: str, utc: str, deadline: str
) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 't.db'}", "--flows", str(FLOWS)]
    done = escflow("ticket", "open", flow, "--id", "T-1", "--at", opened_at, *db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split()[1] == local
    assert f"next deadline {deadline}" in done.stdout
    history = escflow("ticket", "history", "T-1", *db)
    assert history.stdout.split()[1] == local
    as_json = json.loads(escflow("ticket", "history", "T-1", "--format", "json", *db).stdout)
    assert as_json[0]["at"] == utc
    shown = escflow("ticket", "show", "T-1", *db).stdout
    assert f"opened_at: {local}" in shown
    listed = escflow("ticket", "list", *db).stdout.splitlines()
    assert listed[1].split()[6].endswith(local[-6:])  # NEXT DUE, with the calendar's offset
    log = ["--log-unhandled", "--actions-log", str(tmp_path / "actions.jsonl")]
    assert escflow("worker", "--once", *log, *db[:2]).returncode == 0
    outbox = escflow("ticket", "outbox", "T-1", *db).stdout.splitlines()
    delivered = [line.split("delivered ")[1] for line in outbox if "delivered " in line]
    assert delivered
    assert all(at.endswith(local[-6:]) for at in delivered)
