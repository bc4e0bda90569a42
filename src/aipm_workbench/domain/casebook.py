"""The incident casebook (DOMAIN.md section 10): public incidents as precedents.

The casebook ships inside the package (``data/incidents.toml``); it is loaded
once, validated against the built-in taxonomy, and searched in memory. Pure
domain: no database, no terminal.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from .errors import InvalidInput, pydantic_problems
from .taxonomy import Taxonomy, builtin_taxonomy
from .vocab import FallbackKind, Source, Stage

SCALE_NAMES = ("severity", "likelihood", "reversibility", "detectability")

# Years a case may carry: the earliest precedents are 1980s automated systems.
FIRST_YEAR = 1950
LAST_YEAR = 2100

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Rating = Annotated[int, Field(ge=1, le=5)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reasons(_Model):
    """One line per scale saying why the reference rating is what it is."""

    severity: Text
    likelihood: Text
    reversibility: Text
    detectability: Text


class Incident(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    title: Text
    year: Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
    organisation: Text
    system: Text
    stage: Stage
    source: Source
    harm_types: Annotated[list[Text], Field(min_length=1)]
    primary_harm: Text
    missing_fallbacks: list[FallbackKind]
    severity: Rating
    likelihood: Rating
    reversibility: Rating
    detectability: Rating
    reasons: Reasons
    sources: Annotated[list[Text], Field(min_length=1)]
    account: Text
    before_launch: Text

    @model_validator(mode="after")
    def _consistent(self) -> Incident:
        problems = []
        if len(set(self.harm_types)) != len(self.harm_types):
            problems.append("harm_types: a type is listed twice")
        if self.primary_harm not in self.harm_types:
            problems.append(f"primary_harm: {self.primary_harm!r} must be one of harm_types")
        if len(set(self.missing_fallbacks)) != len(self.missing_fallbacks):
            problems.append("missing_fallbacks: a kind is listed twice")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def ratings(self) -> tuple[int, int, int, int]:
        return (self.severity, self.likelihood, self.reversibility, self.detectability)

    @property
    def one_line(self) -> str:
        """The account's first sentence: the case in one line."""
        text = " ".join(self.account.split())
        m = re.search(r"(?<=[a-z0-9)'\"])\.\s+(?=[A-Z])", text)
        return text[: m.start() + 1] if m else text

    def to_json(self) -> dict[str, Any]:
        """The object ``incidents --format json`` prints, field names fixed."""
        return {
            "id": self.id,
            "title": self.title,
            "year": self.year,
            "organisation": self.organisation,
            "system": self.system,
            "account": " ".join(self.account.split()),
            "harm_types": list(self.harm_types),
            "primary_harm": self.primary_harm,
            "source": self.source.value,
            "missing_fallbacks": [k.value for k in self.missing_fallbacks],
            "stage": self.stage.value,
            "before_launch": " ".join(self.before_launch.split()),
            "severity": self.severity,
            "likelihood": self.likelihood,
            "reversibility": self.reversibility,
            "detectability": self.detectability,
            "reasons": {name: getattr(self.reasons, name) for name in SCALE_NAMES},
            "sources": list(self.sources),
        }


class _File(_Model):
    incidents: Annotated[list[Incident], Field(min_length=1)]


# Words too common to say anything about a case.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "how",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
    ]
)

# How much a query word counts for, by the field it is found in.
WEIGHTS = {"title": 8, "harm_types": 5, "organisation": 4, "account": 1}


def query_words(text: str) -> list[str]:
    """The distinct lower-case words of a search, stop words dropped, in order."""
    seen: list[str] = []
    for word in re.findall(r"[\w.]+", text.lower()):
        word = word.strip(".")
        if word and word not in STOP_WORDS and word not in seen:
            seen.append(word)
    return seen


@dataclass(frozen=True)
class Hit:
    incident: Incident
    matched: int  # how many distinct query words were found
    score: int  # weighted by the fields they were found in


class Casebook:
    """The cases, with look-up by id and type and a ranked text search."""

    def __init__(self, incidents: list[Incident]):
        self.incidents: tuple[Incident, ...] = tuple(incidents)
        self._by_id = {i.id: i for i in self.incidents}

    def __len__(self) -> int:
        return len(self.incidents)

    def __iter__(self):
        return iter(self.incidents)

    def ids(self) -> list[str]:
        return [i.id for i in self.incidents]

    def get(self, incident_id: str) -> Incident | None:
        return self._by_id.get(incident_id)

    def closest(self, incident_id: str, n: int = 3) -> list[str]:
        """Ids that look most like ``incident_id`` (for 'did you mean')."""
        key = incident_id.strip().lower()
        close = difflib.get_close_matches(key, self.ids(), n=n, cutoff=0.4)
        if len(close) < n:
            # A fragment of an id (``tay``, ``uber``) is a good hint too.
            for i in self.ids():
                if key and key in i and i not in close:
                    close.append(i)
                if len(close) >= n:
                    break
        return close[:n]

    def of_type(self, type_id: str) -> list[Incident]:
        """Cases showing this harm type, the ones where it is primary first."""
        cases = [i for i in self.incidents if type_id in i.harm_types]
        return sorted(cases, key=lambda i: (i.primary_harm != type_id, -i.year, i.id))

    def counts_by_type(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in self.incidents:
            for t in i.harm_types:
                out[t] = out.get(t, 0) + 1
        return out

    @cached_property
    def _fields(self) -> dict[str, dict[str, str]]:
        return {
            i.id: {
                "title": i.title.lower(),
                "organisation": i.organisation.lower(),
                "harm_types": " ".join(i.harm_types).lower(),
                "account": " ".join(i.account.split()).lower(),
            }
            for i in self.incidents
        }

    def search(self, text: str, within: list[Incident] | None = None) -> list[Hit]:
        """Cases matching any word of ``text`` in title, organisation, account or harm types.

        Case-insensitive; a word matches at the start of a word in the field
        (``chat`` finds "chatbot"; ``privacy`` finds ``rights.privacy``). Ranked
        by how many query words a case matches, then by where they matched
        (title 8, harm type 5, organisation 4, account 1 per mention, up to 3),
        then newest first.
        """
        words = query_words(text)
        if not words:
            return []
        patterns = [re.compile(r"(?<![\w])" + re.escape(w)) for w in words]
        phrase = " ".join(words)
        hits: list[Hit] = []
        for incident in self.incidents if within is None else within:
            fields = self._fields[incident.id]
            matched = 0
            score = 0
            for pattern in patterns:
                best = max(
                    (
                        w
                        for name, w in WEIGHTS.items()
                        if name != "account" and pattern.search(fields[name])
                    ),
                    default=0,
                )
                mentions = min(len(pattern.findall(fields["account"])), 3) * WEIGHTS["account"]
                if best or mentions:
                    matched += 1
                    score += best + mentions
            if matched:
                if len(words) > 1 and phrase in fields["title"]:
                    score += 10
                hits.append(Hit(incident, matched, score))
        hits.sort(key=lambda h: (-h.matched, -h.score, -h.incident.year, h.incident.id))
        return hits


def parse_casebook(data: dict, source: str, taxonomy: Taxonomy | None = None) -> Casebook:
    """Validate casebook data; every problem is named by its path in the file."""
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(source, pydantic_problems(exc)) from None
    tax = taxonomy or builtin_taxonomy()
    known = set(tax.ids())
    problems = []
    seen: set[str] = set()
    for n, incident in enumerate(parsed.incidents):
        if incident.id in seen:
            problems.append(f"incidents[{n}].id: duplicate incident id {incident.id!r}")
        seen.add(incident.id)
        for m, type_id in enumerate(incident.harm_types):
            if type_id not in known:
                problems.append(
                    f"incidents[{n}].harm_types[{m}]: {type_id!r} is not a type of the "
                    f"{tax.ref} taxonomy"
                )
    if problems:
        raise InvalidInput(source, problems)
    return Casebook(parsed.incidents)


@cache
def builtin_casebook() -> Casebook:
    """The casebook shipped with the package, loaded and validated once."""
    text = resources.files(__package__).joinpath("data/incidents.toml").read_text("utf-8")
    try:
        import rtoml  # compiled, several times faster than tomllib on this file

        data = rtoml.loads(text)
    except Exception:  # noqa: BLE001 - the reference parser reports the problem
        data = tomllib.loads(text)
    return parse_casebook(data, "built-in casebook")
