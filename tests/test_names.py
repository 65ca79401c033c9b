"""Names that become paths: a hostile name from a sheet, a flow, a ticket or an option
never writes outside the folder it is meant for, and never makes a file that another
system would read as another path (a device, a drive, a look-alike of '/').

The rules the tests hold escflow to are written out here from the systems' own
documentation (POSIX, Microsoft's "Naming Files, Paths, and Namespaces"), not taken from
escflow's code.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
from pathlib import Path
from urllib.parse import unquote

import pydantic
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from escflow import load_matrix
from escflow._names import check_file_name, escaped_file_name
from escflow.errors import EscflowError
from escflow.fileio import write_all
from escflow.render import TicketPath, write_ticket_path
from escflow.spec._models import FlowId
from tests.conftest import FLOW, FLOWS, MATRIX, ROOT, escflow

# Microsoft: "Do not use the following reserved names for the name of a file ... Also
# avoid these names followed immediately by an extension"; case does not matter.
WINDOWS_DEVICES = {
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
    *(f"COM{n}" for n in "0123456789¹²³"), *(f"LPT{n}" for n in "0123456789¹²³"),
}  # fmt: skip
WINDOWS_FORBIDDEN = set('<>:"/\\|?*')
# Characters that show nothing, turn text around, or are drawn as '/', '\', ':' or '.'.
HIDDEN_OR_LOOKALIKE = set(
    "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\u2028\u2029\u3164"
    "\u2215\u2044\u29f8\uff0f\u2216\u29f5\uff3c\ufe68\uff1a\ufe55\u2236\uff0e\u2024\ufe52"
)


def portable(name: str) -> bool:
    """Whether ``name`` is one plain file name on POSIX and Windows alike (the documented
    rules), with nothing hidden in it."""
    if name in ("", ".", "..") or set(name) == {"."}:
        return False
    if any(c in WINDOWS_FORBIDDEN or ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in name):
        return False
    if set(name) & HIDDEN_OR_LOOKALIKE or any(0xD800 <= ord(c) <= 0xDFFF for c in name):
        return False
    if name.endswith((".", " ")):
        return False
    if name.split(".")[0].rstrip(" ").upper() in WINDOWS_DEVICES:
        return False
    return len(name.encode("utf-8", "surrogatepass")) <= 255


FRAGMENTS = [
    "..", ".", "/", "\\", "C:", "c:\\", "\x00", "\x1b", "\n", "CON", "nul", "nul.txt",
    "Com1", "LPT9", "aux.tar.gz", "CONIN$", "COM¹", "\u2215", "\uff0f", "\uff3c", "\u2044",
    "\uff0e", "\u2024", "\u202e", "\u200b", "\u200d", "\ufeff", "\u2066", "\u3164", " ",
    ".", "a", "é", "고", "ش", "~", "%", "%2F", ".yaml", "-", "_",
]  # fmt: skip
hostile = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=6).map("".join)


@settings(max_examples=2000, deadline=None)
@given(hostile)
def test_a_file_name_escflow_takes_is_portable(name: str) -> None:
    reason = None
    try:
        check_file_name(name)
    except ValueError as refused:
        reason = str(refused)
    if reason is not None:
        assert reason  # a reason, said
        return
    assert portable(name), name


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["a", "B", "7", "é", "고", "ش", "-", "_", " ", "'", "(", "#"]),
        min_size=1,
        max_size=12,
    ).map("".join)
)
def test_a_plain_name_is_taken_as_it_is(stem: str) -> None:
    name = f"{stem}.yaml"
    assume(portable(name))
    assert check_file_name(name) == name


@settings(max_examples=2000, deadline=None)
@given(hostile | st.text(min_size=1) | st.just("\udcff"))
def test_any_ticket_id_becomes_a_portable_name_of_its_own(text: str) -> None:
    assume(text)
    stem = escaped_file_name(text)
    assert portable(f"{stem}.svg")
    assert check_file_name(f"{stem}.svg")
    if "~" not in stem:  # not shortened: the name decodes back to the id, so ids never share
        assert unquote(stem, errors="surrogatepass") == text


@pytest.mark.parametrize(
    ("ticket_id", "stem"),
    [
        ("CON", "%43ON"),
        ("nul.txt", "%6Eul.txt"),
        ("a\u2215b", "a%E2%88%95b"),
        ("x\u202e", "x%E2%80%AE"),
    ],
)
def test_device_names_and_look_alikes_are_escaped(
    tmp_path: Path, ticket_id: str, stem: str
) -> None:
    flow = load_matrix(FLOWS).flow("complaint")
    assert write_ticket_path(flow, TicketPath(ticket_id), tmp_path / "out", "dot") == [
        tmp_path / "out" / f"{stem}.dot"
    ]


def tree(folder: Path) -> list[str]:
    """Every path below ``folder`` (links too, not followed)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([*FRAGMENTS, "{OUTSIDE}"]), min_size=1, max_size=5).map("".join))
def test_write_all_writes_inside_its_folder_or_nothing(name: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        top = Path(scratch)
        root = top / "a" / "b" / "root"  # deep enough that no '..' here reaches past top
        root.mkdir(parents=True)
        (top / "outside").mkdir()
        target = root / ("n" + name.replace("{OUTSIDE}", str(top / "outside")))
        before = tree(top)
        reason = None
        try:
            write_all({target: b"data"}, root)
        except EscflowError as refused:
            reason = str(refused)
        if reason is not None:
            assert reason.startswith("cannot write ")
            assert tree(top) == before, "a refused write leaves everything as it was"
            return
        made = [p for p in root.rglob("*") if p.is_file()]
        assert len(made) == 1
        assert made[0].resolve().is_relative_to(root.resolve())
        assert all(portable(part) for part in made[0].relative_to(root).parts)
        assert tree(top / "outside") == []


def test_write_all_refuses_a_path_that_climbs_out(tmp_path: Path) -> None:
    root = tmp_path / "root"
    with pytest.raises(EscflowError, match="is not inside"):
        write_all({root / ".." / "victim.yaml": b"x"}, root)
    with pytest.raises(EscflowError, match="is not inside"):
        write_all({tmp_path / "victim.yaml": b"x"}, root)
    assert tree(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="making another user's link needs root")
def test_a_link_another_user_made_is_not_written_through(tmp_path: Path) -> None:
    mine = tmp_path / "mine.txt"
    mine.write_text("keep")
    shared = tmp_path / "shared"
    shared.mkdir()
    link = shared / "complaint.yaml"
    link.symlink_to(mine)
    os.lchown(link, 4242, 4242)  # as if another user of the shared folder had made it
    with pytest.raises(EscflowError, match=r"is a link made by another user \(uid 4242\)"):
        write_all({link: b"overwritten"}, shared)
    assert mine.read_text() == "keep"


# --- the spec's flow ids and the file-name rule agree ---------------------------------

SCHEMA = json.loads((ROOT / "schema" / "escflow.schema.json").read_text(encoding="utf-8"))
FLOW_ID_SCHEMA = SCHEMA["$defs"]["FlowDoc"]["properties"]["id"]
ID_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"  # the README's ids: lowercase, digits, dashes


@settings(max_examples=1000, deadline=None)
@given(
    st.from_regex(ID_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 80)
    | st.sampled_from(sorted(d.lower() for d in WINDOWS_DEVICES if d.isascii() and d.isalnum()))
    | hostile
)
def test_a_flow_id_is_valid_exactly_when_it_names_portable_files(flow_id: str) -> None:
    try:
        pydantic.TypeAdapter(FlowId).validate_python(flow_id)
        valid = True
    except pydantic.ValidationError:
        valid = False
    fits = bool(re.fullmatch(ID_PATTERN, flow_id)) and len(flow_id) <= 80
    assert valid == (fits and portable(f"{flow_id}.yaml") and portable(f"{flow_id}.svg"))
    in_schema = (
        bool(re.fullmatch(FLOW_ID_SCHEMA["pattern"], flow_id))
        and flow_id not in (FLOW_ID_SCHEMA["not"]["enum"])
    )
    assert in_schema == valid


def test_a_flow_named_after_a_device_is_reported_and_not_drawn(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "matrix.yaml").write_text(MATRIX, encoding="utf-8")
    (flows / "con.yaml").write_text(FLOW.replace("id: f", "id: con"), encoding="utf-8")
    checked = escflow("validate", str(flows))
    assert checked.returncode == 1
    assert f"{flows / 'con.yaml'}:3:5: S004 id: 'con' cannot be a flow id" in checked.stdout
    assert "CON is a device on Windows" in checked.stdout
    drawn = escflow("render", str(flows), "-o", str(tmp_path / "out"), "--format", "dot")
    assert drawn.returncode == 1
    assert not (tmp_path / "out").exists()


# --- escflow import: the sheet's ids ---------------------------------------------------

SHEET = """\
Escalation level,Level 1,Level 2
Contact point,Agent,Lead
Timeline,15-30 minutes,until resolution
Order status,,

[Categories]
Category,Id
Order status,{id}
"""


@pytest.mark.parametrize(
    "bad_id",
    ["../victim/app", "{ABS}", "../../../../../../../../tmp/{UNIQUE}", "nul", "c:app", "a\u2215b"],
    ids=["climbs", "absolute", "to-root", "device", "drive", "look-alike"],
)
def test_import_refuses_an_id_that_is_no_file_name_and_names_its_cell(
    tmp_path: Path, bad_id: str
) -> None:
    unique = f"escflow-{uuid.uuid4().hex}"
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "app.yaml").write_text("mine\n")
    bad_id = bad_id.replace("{ABS}", str(victim / "app")).replace("{UNIQUE}", unique)
    sheet = tmp_path / "matrix.csv"
    sheet.write_text(SHEET.format(id=bad_id), encoding="utf-8")
    before = tree(tmp_path)
    done = escflow("import", str(sheet), "-o", str(tmp_path / "flows"))
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    assert f"matrix.csv: X003 Categories!B8: '{bad_id}' cannot be the id of category" in (
        done.stderr
    )
    assert "an id is lowercase letters, digits and dashes" in done.stderr
    assert done.stderr.endswith("escflow: nothing was written (1 error, 0 warnings)\n")
    assert tree(tmp_path) == before
    assert (victim / "app.yaml").read_text() == "mine\n"
    assert not (Path("/tmp") / f"{unique}.yaml").exists()


# --- names given on the command line ---------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["export", str(FLOWS), "-o", "{DIR}/nul.md"],
        ["import", "--template", "{DIR}/CON.xlsx"],
        ["schema", "-o", "{DIR}/aux.json"],
    ],
    ids=["export", "template", "schema"],
)
def test_an_output_named_after_a_device_is_refused(tmp_path: Path, args: list[str]) -> None:
    done = escflow(*(a.replace("{DIR}", str(tmp_path)) for a in args))
    assert done.returncode == 1
    assert "cannot be a file name" in done.stderr
    assert "is a device on Windows" in done.stderr
    assert tree(tmp_path) == []


def test_an_id_cannot_end_with_a_line_break(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "matrix.yaml").write_text(MATRIX, encoding="utf-8")
    flow = FLOW.replace(
        "{id: done, label: Done, to: resolved}", '{id: "done\\n", label: D, to: resolved}', 1
    )
    (flows / "f.yaml").write_text(flow, encoding="utf-8")
    checked = escflow("validate", str(flows))
    assert checked.returncode == 1
    assert "S004 levels[0].triggers[0].id: 'done\\n' is not a valid id" in checked.stdout
