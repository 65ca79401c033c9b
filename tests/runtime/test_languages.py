"""A ticket's customer is told why, to whom and how long in the flow's language: the
notice, the window it quotes and the engine's own reasons (the timer's, the warning's).

Each expected text is written here as a reader of the language would read it, from the
flow's levels and the catalogue's sentences: never produced by the code under test.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from escflow.runtime import Engine
from escflow.timing._clock import ManualClock
from tests.runtime.conftest import Inbox

# (flow, ticket, manual trigger from level 1 to level 2): the article's "the customer asks
# to speak to a manager", in each language's flow.
LADDERS = {
    "en": ("complaint", "asks-for-manager"),
    "fr": ("reclamation-fr", "demande-gestionnaire"),
    "ko": ("bulman-ko", "asks-for-manager"),
    "ar": ("shakwa-ar", "asks-for-manager"),
}

# What the customer reads at level 2 (moved by the manager trigger), then at level 3
# (moved by the window's own timer after level 2's hour).
NOTICES = {
    "en": (
        "Your request T-en is moving to Call centre support manager because you asked to"
        " speak to a manager. Call centre support manager should answer within 30 minutes"
        " - 1 hour.",
        "Your request T-en is moving to Account manager because unresolved after 1 hour."
        " Account manager should answer within 1-2 hours.",
    ),
    "fr": (
        "Votre demande T-fr est transmise à Responsable du support du centre d'appels,"
        " car : vous avez demandé à parler à un responsable. Délai de réponse prévu pour"
        " Responsable du support du centre d'appels : de 30 minutes à 1 heure.",
        "Votre demande T-fr est transmise à Gestionnaire de compte, car : non résolu après"
        " 1 heure. Délai de réponse prévu pour Gestionnaire de compte : 1-2 heures.",
    ),
    "ko": (
        "고객님의 요청 T-ko이(가) 콜센터 지원 관리자에게 전달되었습니다. 사유: 고객님께서"
        " 관리자와의 통화를 요청하셨습니다. 30분~1시간 이내에 콜센터 지원 관리자의 답변을"
        " 받으실 수 있습니다.",
        "고객님의 요청 T-ko이(가) 계정 관리자에게 전달되었습니다. 사유: 1시간 후에도 미해결."
        " 1-2시간 이내에 계정 관리자의 답변을 받으실 수 있습니다.",
    ),
    "ar": (
        "يتم تحويل طلبك T-ar إلى مدير دعم مركز الاتصال للسبب التالي: طلبتم التحدث إلى"
        " المدير. يُتوقع الرد من مدير دعم مركز الاتصال خلال 30 دقيقة إلى ساعة واحدة.",
        "يتم تحويل طلبك T-ar إلى مدير الحساب للسبب التالي: لم تُحل المشكلة بعد مرور ساعة"
        " واحدة. يُتوقع الرد من مدير الحساب خلال 1-2 ساعة.",
    ),
}


def _notices(inbox: Inbox, ticket: str) -> list[str]:
    return [
        a.payload["message"]
        for a in inbox.received
        if a.kind == "customer" and a.ticket_id == ticket and a.key.endswith(":notice")
    ]


@pytest.mark.parametrize("language", sorted(LADDERS))
def test_the_customer_reads_the_flows_language(
    engine: Engine, clock: ManualClock, inbox: Inbox, language: str
) -> None:
    flow, trigger = LADDERS[language]
    ticket = f"T-{language}"
    engine.open(flow, ticket_id=ticket)
    engine.fire(ticket, trigger)
    clock.advance(timedelta(hours=1))
    engine.tick()
    engine.deliver()
    assert _notices(inbox, ticket) == list(NOTICES[language])


def test_an_indonesian_ticket_is_told_in_indonesian(engine: Engine, inbox: Inbox) -> None:
    # Level 1 hands a request that needs technical skill to level 2 (1-4 hours); level 2's
    # SLA breach sends it to the experts, who keep it until it is resolved.
    engine.open("bantuan-id", ticket_id="T-id")
    engine.fire("T-id", "minta-agen")
    engine.fire("T-id", "kurang-keahlian")
    engine.deliver()
    assert _notices(inbox, "T-id")[1:] == [
        "Permintaan Anda T-id diteruskan ke Agen teknis tingkat 2 karena permintaan Anda"
        " membutuhkan agen dengan keahlian teknis. Agen teknis tingkat 2 akan menanggapi"
        " dalam 1-4 jam."
    ]


def test_a_korean_ticket_at_the_last_level_is_kept_until_resolved(
    engine: Engine, clock: ManualClock, inbox: Inbox
) -> None:
    engine.open("bulman-ko", ticket_id="T-k4")
    engine.fire("T-k4", "unable-to-solve")
    engine.fire("T-k4", "solution-failed")
    clock.advance(timedelta(hours=2))  # level 3's automatic trigger fires at its maximum
    engine.tick()
    engine.deliver()
    assert _notices(inbox, "T-k4")[-1] == (
        "고객님의 요청 T-k4이(가) 고위 경영진에게 전달되었습니다. 사유: 문제가 해결되지 않은"
        " 상태로 남아 있음. 해결될 때까지 고위 경영진에서 담당합니다."
    )


def test_the_engines_reasons_and_warnings_are_in_the_flows_language(
    engine: Engine, clock: ManualClock, inbox: Inbox
) -> None:
    engine.open("shakwa-ar", ticket_id="T-aw")
    clock.advance(timedelta(minutes=30))  # level 1: warned at 15 minutes, escalated at 30
    engine.tick()
    engine.deliver()
    events = engine.history("T-aw")
    assert [e.reason for e in events if e.kind == "warned"] == [
        "انقضى الحد الأدنى للمهلة (15 دقيقة)"
    ]
    escalated = next(e for e in events if e.kind == "escalated")
    assert escalated.reason == "لم تُحل المشكلة بعد مرور 30 دقيقة"
    warning = next(a for a in inbox.received if a.key.endswith(":warning"))
    assert warning.payload["message"].startswith(
        "انتظرت التذكرة T-aw مدة 15 دقيقة في المستوى 1 (ممثل مركز الاتصال) دون إقرار"
        " بالاستلام؛ ستُصعَّد في "
    )
