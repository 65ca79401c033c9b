"""Export then import gives back the same definitions: every flow, both sheet formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from escflow import Matrix, load_matrix
from escflow.io import export_matrix, import_sheet, template_bytes
from tests.conftest import FLOWS, ROOT

EXAMPLES = ROOT / "examples"
FLOW_IDS = sorted(load_matrix(FLOWS).flows)


@pytest.fixture(scope="module")
def original() -> Matrix:
    return load_matrix(FLOWS)


@pytest.fixture(scope="module", params=["xlsx", "csv"])
def reimported(
    request: pytest.FixtureRequest, original: Matrix, tmp_path_factory: pytest.TempPathFactory
) -> Matrix:
    """flows/ exported to a sheet file, then imported into an empty folder."""
    folder = tmp_path_factory.mktemp(f"round-trip-{request.param}")
    sheet = folder / f"matrix.{request.param}"
    sheet.write_bytes(export_matrix(original, request.param))
    result = import_sheet(sheet, folder / "flows")
    assert result.warnings == ()
    return load_matrix(folder / "flows")


@pytest.mark.parametrize("flow_id", FLOW_IDS)
def test_every_flow_comes_back_with_the_same_digest(
    original: Matrix, reimported: Matrix, flow_id: str
) -> None:
    before, after = original.flow(flow_id), reimported.flow(flow_id)
    assert after.spec.model_dump() == before.spec.model_dump()
    assert after.digest == before.digest


def test_the_matrix_comes_back_equal(original: Matrix, reimported: Matrix) -> None:
    assert reimported.doc.model_dump() == original.doc.model_dump()
    assert sorted(reimported.flows) == FLOW_IDS


def test_comments_travel_as_cell_notes(original: Matrix, tmp_path: Path) -> None:
    sheet = tmp_path / "matrix.xlsx"
    sheet.write_bytes(export_matrix(original, "xlsx"))
    import_sheet(sheet, tmp_path / "flows")
    complaint = (tmp_path / "flows" / "complaint.yaml").read_text(encoding="utf-8")
    assert "# the account manager answers a critical complaint at once\n      3:" in complaint
    assert complaint.startswith(
        "# yaml-language-server: $schema=escflow.schema.json\n# The article's worked example:"
    )
    matrix = (tmp_path / "flows" / "matrix.yaml").read_text(encoding="utf-8")
    assert "  # IT projects.\n  project-manager:" in matrix


@pytest.mark.parametrize("name", ["escalation-matrix.xlsx", "escalation-matrix.csv"])
def test_the_example_sheet_imports_to_the_shipped_flows(
    original: Matrix, tmp_path: Path, name: str
) -> None:
    # If this fails after flows/ changed, regenerate the example:
    #   escflow export flows/ -o examples/escalation-matrix.xlsx (and .csv)
    import_sheet(EXAMPLES / name, tmp_path)
    imported = load_matrix(tmp_path)
    assert {f: imported.flows[f].digest for f in imported.flows} == {
        f: original.flows[f].digest for f in original.flows
    }
    assert imported.doc == original.doc


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_template_imports_as_the_articles_matrix(fmt: str, tmp_path: Path) -> None:
    sheet = tmp_path / f"template.{fmt}"
    sheet.write_bytes(template_bytes(fmt))
    result = import_sheet(sheet, tmp_path / "flows")
    assert result.warnings == ()
    matrix = load_matrix(tmp_path / "flows")
    complaint = matrix.flow("complaint")
    assert [level.name for level in complaint.ladder][:2] == [
        "Call centre representative",
        "Call centre support manager",
    ]
    level_1 = complaint.steps["level-1"]
    assert [t.label for t in level_1.triggers if not t.implicit] == [
        "Representative unable to solve the problem",
        "Customer asks to speak to a manager",
    ]
    last = complaint.steps["level-7"]
    assert [(t.label, t.target) for t in last.triggers] == [("Resolution", "resolved")]
    assert (EXAMPLES / "template.xlsx").read_bytes()[:2] == b"PK"


# Korean and Arabic: the article's own languages, right-to-left included.
KOREAN = "제품 품질 또는 과거 고객 서비스에 대한 불만"
ARABIC = "شكوى حول جودة المنتج أو خدمة العملاء السابقة"
UNICODE_SHEET = f"""\
Escalation level,레벨 1,레벨 2,المستوى 3
Contact point,콜센터 담당자,콜센터 지원 관리자,الإدارة العليا
Timeline,15-30 minutes,30 minutes - 1 hour,해결
"{KOREAN}","응답:
고객이 문제를 언급함
트리거:
문제를 해결할 수 없는 대표
해결됨 [to: resolved]","응답:
시도된 솔루션 [notify: customer]
트리거:
특정 부서 또는 기술이 필요합니다",
"{ARABIC}","الرد: يذكر العميل مشكلتهم
محفزات:
الممثل غير قادر على حل المشكلة",—,"إجابة:
مراجعة تقرير الحادث"
"""


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_korean_and_arabic_survive_import_and_export(fmt: str, tmp_path: Path) -> None:
    source = tmp_path / "matrix.csv"
    source.write_text(UNICODE_SHEET, encoding="utf-8")
    import_sheet(source, tmp_path / "first")
    first = load_matrix(tmp_path / "first")
    korean, arabic = sorted(first.flows.values(), key=lambda f: f.id)
    assert (korean.name, arabic.name) == (KOREAN, ARABIC)
    # The sheet names no language; the script does.
    assert (korean.language, arabic.language) == ("ko", "ar")
    assert [level.name for level in korean.ladder] == [
        "콜센터 담당자",
        "콜센터 지원 관리자",
        "الإدارة العليا",
    ]
    assert [t.label for t in korean.steps["level-1"].triggers][:2] == [
        "문제를 해결할 수 없는 대표",
        "해결됨",
    ]
    assert korean.steps["level-2"].responses[0].message == "시도된 솔루션"  # type: ignore[union-attr]
    assert [level.number for level in arabic.ladder] == [1, 3]
    assert [(t.label, t.target) for t in arabic.steps["level-3"].triggers] == [("해결", "resolved")]
    text = (tmp_path / "first" / f"{korean.id}.yaml").read_text(encoding="utf-8")
    assert f"name: {KOREAN}\n" in text  # written as is, not as \u escapes

    exported = tmp_path / f"again.{fmt}"
    exported.write_bytes(export_matrix(first, fmt))
    import_sheet(exported, tmp_path / "second")
    second = load_matrix(tmp_path / "second")
    assert {f.id: f.digest for f in second.flows.values()} == {
        f.id: f.digest for f in first.flows.values()
    }
    handbook = export_matrix(second, "html").decode("utf-8")
    assert f'lang="ko" dir="ltr">\n<h2>{KOREAN}</h2>' in handbook
    assert f'lang="ar" dir="rtl">\n<h2>{ARABIC}</h2>' in handbook
