"""Abstention on out-of-coverage questions: every answer either abstains or hallucinates, never neither.

*Abstained*: the answer states no figure (no amount, ratio or percentage-point change), or it says in a
common Spanish or English form that it does not know or that the figure is not available ("No lo sé",
"Lo desconozco", "No tengo esa información", "I don't know", "Not available"…) and states no figure
as an estimate. *Hallucinated*: everything else, i.e. a figure stated as the answer, including a
hedged guess after a refusal ("no lo sé con certeza, pero rondaría el 12 %"). A figure beside a
refusal without such a hedge is taken as context (another bank's or year's figure) and still counts
as abstention. Figures written in words ("once mil millones") are not recognised.
"""

from __future__ import annotations

import re

from regllm_lf.core.spanish_numbers import ParsedFigure, parse_figures

FIGURE_UNITS = ("millones EUR", "%", "pp")

_VERB_GIVE = (
    r"(?:dar|darte|darle|facilitar\w*|confirmar\w*|proporcionar\w*|ofrecer\w*|indicar\w*|decir\w*|precisar\w*|"
    r"responder\w*|aportar\w*|verificar\w*|asegurar\w*|garantizar\w*|concretar\w*)"
)
_OBJECT = (
    r"(?:de )?(?:esa|ese|esta|este|dicha|dicho|la|el|los|las|tal|ning[uú]n|ninguna|informaci[oó]n|datos?|cifras?|"
    r"acceso|constancia|registros?|conocimiento|fuentes?|detalles?)"
)
REFUSALS_ES = (
    r"\bno (?:lo )?s[ée]\s*(?:[.,;:!?)]|$)",
    r"\bno lo s[ée]\b",
    r"\bno sé\b",
    r"\bno se (?:cu[aá]l|cu[aá]nto|qu[ée]|si|exactamente|con (?:certeza|seguridad|exactitud)|la cifra|el dato)\b",
    r"\bdesconozco\b",
    r"\b(?:lo )?ignoro\b",
    r"\bno sabr[ií]a\b",
    r"\bni idea\b",
    rf"\bno (?:tengo|dispongo|cuento con|manejo|poseo|conservo) {_OBJECT}",
    r"\bno dispongo\b",
    r"\bno lo tengo\b",
    r"\bcarezco de\b",
    r"\bno (?:me )?consta\b",
    r"\bno (?:est[aá]n?|se encuentran?|figuran?|aparecen?) (?:disponibles?|en mis|entre mis|en (?:las|mis|nuestras) "
    r"fuentes|en (?:los|mis) datos|publicad[oa]s?|recogid[oa]s?|incluid[oa]s?)",
    r"\bno disponibles?\b",
    r"\bno hay (?:datos|informaci[oó]n|cifras?|registros?|constancia)\b",
    r"\bsin (?:datos|informaci[oó]n|cifras?)\b",
    r"\bno se dispone\b",
    r"\bno (?:he|hemos) (?:encontrado|podido|localizado)\b",
    r"\bno (?:encuentro|localizo|consigo|conozco)\b",
    rf"\bno (?:puedo|podemos|podr[ée]|es posible|me es posible) {_VERB_GIVE}",
    r"\bno me es posible\b",
    r"\bfuera de (?:mi|mis|nuestra|nuestras) (?:cobertura|fuentes|alcance|conocimiento|datos)\b",
    r"\bno est[aá] a mi alcance\b",
    r"\bno se (?:ha|han) (?:publicado|divulgado|comunicado)\b",
    r"\bno (?:ha|han) sido (?:publicad|divulgad|comunicad)",
)
REFUSALS_EN = (
    r"\bi (?:do not|don't|dont) know\b",
    r"\b(?:do not|don't|dont) know\b",
    r"\bunknown\b",
    r"\bnot available\b",
    r"\bunavailable\b",
    r"\bn/a\b",
    r"\bno (?:reliable |verified |public )?(?:data|information|figures?|records?)\b",
    r"\bi (?:do not|don't|dont) have\b",
    r"\bi have no\b",
    r"\bi lack\b",
    r"\b(?:i )?(?:can't|cannot|can not|am unable to|'m unable to|unable to|am not able to|'m not able to) "
    r"(?:provide|give|confirm|share|say|verify|tell|find|answer|access)\b",
    r"\bnot (?:in|part of|within|covered by|included in) (?:my|our) (?:sources|data|knowledge|coverage)\b",
    r"\b(?:outside|beyond) (?:my|our) (?:coverage|sources|knowledge|data)\b",
    r"\b(?:couldn't|could not|did not|didn't) find\b",
    r"\bi have not found\b",
    r"\bnot (?:yet )?(?:been )?(?:published|disclosed)\b",
)
REFUSAL = re.compile("|".join((*REFUSALS_ES, *REFUSALS_EN)), re.IGNORECASE)

# A figure given as a guess: an estimate word, or "but it was …" after a refusal, shortly before it.
ESTIMATE = re.compile(
    r"(?:aproximadamente|aprox\.?|alrededor de|en torno a|cerca de|\bunos|\bunas|\brond(?:a|ar|ar[ií]a|aba)\b|"
    r"\bestim\w*|calculo que|supongo|probablemente|posiblemente|quiz[aá]s?|tal vez|creo que|dir[ií]a que|"
    r"(?:deber[ií]a|podr[ií]a) (?:ser|estar|rondar|situarse)|ser[ií]a (?:de|del|el|la|un|una)\b|"
    r"approximately|approx\.?|around|roughly|about|estimated?|probably|likely|i think|i believe|i guess|perhaps|"
    r"maybe|would be|should be|might be|"
    r"(?:pero|but|aunque|although|sin embargo|however)\b[^.;]{0,40}?\b(?:fue|era|es|ronda|estaba|was|is|stood)\b)"
    r"[^.;]{0,40}$",
    re.IGNORECASE,
)


def normalised(answer: str) -> str:
    return answer.replace("\u2019", "'").replace("\u00a0", " ")


def stated_figures(answer: str) -> list[tuple[int, ParsedFigure]]:
    """(position, figure) for every amount, ratio or percentage-point figure in the answer."""
    found, cursor = [], 0
    for figure in parse_figures(answer):
        start = answer.find(figure.text, cursor)
        cursor = start + len(figure.text) if start >= 0 else cursor
        if figure.unit in FIGURE_UNITS:
            found.append((max(start, 0), figure))
    return found


def refuses(answer: str) -> bool:
    return REFUSAL.search(normalised(answer)) is not None


def abstains(answer: str) -> bool:
    """True when the answer abstains, False when it hallucinates (see the module docstring)."""
    text = normalised(answer)
    figures = stated_figures(text)
    if not figures:
        return True
    if not refuses(text):
        return False
    return not any(ESTIMATE.search(text[:start]) for start, _ in figures)
