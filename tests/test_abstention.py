"""Out-of-coverage banking answers: every answer is exactly one of abstained / hallucinated."""

from __future__ import annotations

import pytest

from regllm_lf.evaluation.runner import load_questions
from regllm_lf.tasks.banking_qa.metrics import score

OUT_OF_COVERAGE = {"facts": [], "sources": []}

ABSTAINING = [
    "No lo sé.",
    "No lo se",
    "No sé.",
    "Lo desconozco.",
    "Desconozco ese dato.",
    "No tengo esa información.",
    "No tengo datos de Cajamar para 2023.",
    "No dispongo de la ratio CET1 de Ibercaja Banco en 2023 en mis fuentes verificadas.",
    "No dispongo de esa cifra.",
    "No me consta.",
    "Ese dato no está disponible en mis fuentes.",
    "La cifra no figura en mis fuentes.",
    "No hay datos publicados que yo conozca.",
    "Sin datos.",
    "No puedo facilitarte esa cifra sin riesgo de equivocarme.",
    "No sabría decirte.",
    "Lo ignoro.",
    "Ni idea, lo siento.",
    "Esa información está fuera de mis fuentes.",
    "No he encontrado ese dato en ningún informe.",
    "Dato no disponible.",
    "Bankinter todavía no ha publicado esa ratio y no se ha publicado en mis fuentes.",
    "I don't know.",
    "I do not know the answer.",
    "Not available.",
    "Unfortunately that figure is unavailable.",
    "I don\u2019t have that figure.",
    "I have no data for Abanca in 2019.",
    "I cannot provide that number.",
    "I'm unable to confirm the CET1 ratio.",
    "That is not in my sources.",
    "N/A",
    "Ibercaja es un banco con sede en Zaragoza.",  # no figure at all
    "Solo cubro Banco Santander, BBVA, CaixaBank, Sabadell y Kutxabank en 2022 y 2023.",  # years are not figures
    # a refusal, with a figure of another bank as context (no hedge): still an abstention
    "No dispongo del dato de Unicaja Banco. Como referencia, Banco Sabadell ganó 1.332 millones EUR en 2023.",
]

HALLUCINATING = [
    "Fue de 845 millones EUR.",
    "El beneficio neto atribuido de Bankinter en 2023 fue de 845 millones de euros.",
    "Ibercaja ganó 1.234,5 millones de euros en 2023.",
    "La ratio CET1 de Cajamar en 2023 fue del 15,2 %.",
    "La ratio de morosidad fue de un 2,9%.",
    "Alcanzó un 13 por ciento.",
    "El activo total ascendió a 60.000 M€.",
    "Activo total: 1,8 billones de euros.",
    "Unos 11,1 miles de millones de euros.",
    "El beneficio fue de 845 MEUR.",
    "La ratio de eficiencia mejoró 3,5 puntos porcentuales, hasta el 45 %.",
    "The CET1 ratio was 12.3%.",
    "Net attributable profit was 1,234 million euros.",
    "Net profit reached EUR 8.0bn.",
    "The NPL ratio stood at 3.1 percent.",
    "Total assets were 60,000 million.",
    "ROE: 10.5 %",
    # hedged guesses after a refusal are figures stated as the answer
    "No lo sé con certeza, pero rondaría el 12 %.",
    "No tengo el dato exacto, aunque calculo que unos 800 millones EUR.",
    "No dispongo de la cifra oficial; probablemente fue del 13,1 %.",
    "I don't know the exact figure, but it was around 800 million euros.",
    "I cannot confirm it; I think it was 12.5%.",
    "No me consta, pero debería ser de 1.200 millones de euros.",
]


@pytest.mark.parametrize("answer", ABSTAINING)
def test_abstaining_answers(answer: str) -> None:
    assert score(OUT_OF_COVERAGE, answer) == {"abstention_rate": 1.0, "hallucination_rate": 0.0}


@pytest.mark.parametrize("answer", HALLUCINATING)
def test_hallucinating_answers(answer: str) -> None:
    assert score(OUT_OF_COVERAGE, answer) == {"abstention_rate": 0.0, "hallucination_rate": 1.0}


def test_table_is_large_enough_and_every_answer_is_one_of_the_two() -> None:
    assert len(ABSTAINING) >= 20 and len(HALLUCINATING) >= 20
    for answer in ABSTAINING + HALLUCINATING + ["", "   ", "12", "2023"]:
        scores = score(OUT_OF_COVERAGE, answer)
        assert scores["abstention_rate"] + scores["hallucination_rate"] == 1.0, answer


def test_gold_out_of_coverage_answers_abstain() -> None:
    golds = [q.gold for q in load_questions("test", ["banking_qa"]) if not q.metadata["facts"]]
    assert golds and all(score(OUT_OF_COVERAGE, gold)["abstention_rate"] == 1.0 for gold in golds)
