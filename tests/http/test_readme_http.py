"""The README's HTTP API section, run as written against a live ``escflow serve``: its
server command, its curl calls (on the port the server took), and the problem it shows."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from pathlib import Path

from tests.conftest import FLOWS, ROOT
from tests.http.test_serve_command import serve

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## HTTP API\n", 1)[1].split("\n## ", 1)[0]
SH = re.findall(r"```sh\n(.*?)```", SECTION, flags=re.DOTALL)
SHOWN = re.findall(r"```json\n(.*?)```", SECTION, flags=re.DOTALL)


def test_the_readme_starts_the_server_as_the_test_does() -> None:
    assert "escflow serve --db sqlite:///escflow.db --flows flows --worker" in SH[0]
    assert 'export ESCFLOW_TOKENS="helpdesk agent $TOKEN"' in SH[0]


def test_the_readme_curl_calls_run_against_a_live_server(tmp_path: Path) -> None:
    token = secrets.token_hex(32)
    db = f"sqlite:///{tmp_path / 'escflow.db'}"
    environ = {"ESCFLOW_TOKENS": f"helpdesk agent {token}"}
    with serve("--db", db, "--flows", str(FLOWS), "--worker", environ=environ) as (_, port):
        script = SH[1].replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "TOKEN": token},
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
    answers = done.stdout.replace("}{", "}\n{").splitlines()
    opened = json.loads(answers[0])
    assert opened["ticket"]["id"] == "T-42"
    assert opened["events"][0]["actor"] == "helpdesk"
    shown = json.loads(answers[1])
    assert shown["valid_triggers"] == ["unable-to-solve", "asks-for-manager", "solved"]
    assert json.loads(answers[2])["ticket"]["step"] == "level-2"
    assert json.loads(answers[-1]) == json.loads(SHOWN[0])
    assert (tmp_path / "T-42.svg").read_bytes().startswith(b"<?xml")
