"""The harm taxonomy: built in, versioned, replaceable by an organisation's own file."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from .errors import InvalidInput, pydantic_problems

MIT_CODE = re.compile(r"^[1-7]\.[1-9]$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Family(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
    label: str
    description: str = ""


class HarmType(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*\.[a-z][a-z0-9_-]*$")]
    family: str
    label: str
    description: str
    questions: Annotated[list[str], Field(min_length=1)]
    example: str = ""
    mit_cause: Annotated[str, Field(pattern=MIT_CODE.pattern)] | None = None


class Taxonomy(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    version: Annotated[int, Field(ge=1)]
    name: str
    description: str = ""
    families: list[Family]
    types: Annotated[list[HarmType], Field(min_length=1)]
    _by_id: dict[str, HarmType] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Taxonomy:
        family_ids = [f.id for f in self.families]
        problems = []
        if len(set(family_ids)) != len(family_ids):
            problems.append("families: duplicate family id")
        seen: set[str] = set()
        for i, t in enumerate(self.types):
            if t.id in seen:
                problems.append(f"types[{i}].id: duplicate type id {t.id!r}")
            seen.add(t.id)
            if t.family not in family_ids:
                problems.append(f"types[{i}].family: {t.family!r} is not a family id")
            elif not t.id.startswith(t.family + "."):
                problems.append(f"types[{i}].id: must start with its family id {t.family!r}.")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def ref(self) -> str:
        """The id/version an assessment records, e.g. ``builtin/1``."""
        return f"{self.id}/{self.version}"

    def get(self, type_id: str) -> HarmType | None:
        return self._index().get(type_id)

    def family(self, family_id: str) -> Family | None:
        return next((f for f in self.families if f.id == family_id), None)

    def types_in(self, family_id: str) -> list[HarmType]:
        return [t for t in self.types if t.family == family_id]

    def _index(self) -> dict[str, HarmType]:
        if not self._by_id:
            self._by_id.update({t.id: t for t in self.types})
        return self._by_id

    def ids(self) -> list[str]:
        return [t.id for t in self.types]


def parse_taxonomy(data: dict, source: str) -> Taxonomy:
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(source, pydantic_problems(exc)) from None


@cache
def builtin_taxonomy() -> Taxonomy:
    text = resources.files(__package__).joinpath("data/taxonomy_builtin.toml").read_text("utf-8")
    return parse_taxonomy(tomllib.loads(text), "builtin taxonomy")


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Load an organisation's own taxonomy file (TOML, same shape as the built-in one)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InvalidInput(str(p), [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput(str(p), ["not a UTF-8 text file"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(str(p), [f"not valid TOML: {exc}"]) from None
    return parse_taxonomy(data, str(p))
