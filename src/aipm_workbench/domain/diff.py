"""A readable, field-by-field difference between two assessments of one feature.

``diff_assessments(old, new)`` returns one line per change, in file order:
feature fields, harms (matched by id), fallbacks (by id), metrics (by name),
hypotheses (by id), premortem items (by failure text), the decision, and finally
what the changes did to the computed tiers and the recommended verdict. Ratings
read ``harm privileged-calls: severity 5 -> 4``. ``history`` shows these lines as
the summary of each revision and ``diff`` prints them in full.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from .evaluation import evaluate
from .formatting import people_range
from .models import RATINGS, Assessment, Decision, Exposure, Harm, Residual

# Text longer than this is reported as "changed" instead of quoted in full.
SHORT_TEXT = 60


def diff_assessments(old: Assessment, new: Assessment) -> list[str]:
    """What changed from ``old`` to ``new``; an empty list when they are equal."""
    if old == new:
        return []
    out: list[str] = []
    if old.feature.id != new.feature.id:
        out.append(f"feature.id: {old.feature.id} -> {new.feature.id}")
    for key in ("name", "owner", "stage", "description", "population", "population_unit"):
        _field(out, f"feature.{key}", getattr(old.feature, key), getattr(new.feature, key))
    _field(out, "taxonomy", old.taxonomy, new.taxonomy)

    _items(out, "harm", old.harms, new.harms, lambda h: h.id, _harm_added, _harm_changes)
    _items(
        out,
        "fallback",
        old.fallbacks,
        new.fallbacks,
        lambda f: f.id,
        lambda f: f"{f.kind.value}, covers {', '.join(f.covers)}",
        lambda o, n: _model_changes(o, n, ("id",)),
    )
    _items(
        out,
        "metric",
        old.metrics,
        new.metrics,
        lambda m: m.name,
        lambda m: f"{m.kind.value}, target {_short(m.target)}, decided on {m.decided_on}",
        lambda o, n: _model_changes(o, n, ("name",)),
        quote_key=True,
    )
    _items(
        out,
        "hypothesis",
        old.hypotheses,
        new.hypotheses,
        lambda h: h.id,
        lambda h: h.status.value + (f", check by {h.check_by}" if h.check_by else ""),
        lambda o, n: _model_changes(o, n, ("id",)),
    )
    _items(
        out,
        "premortem item",
        old.premortem,
        new.premortem,
        lambda p: p.failure,
        lambda p: "",
        lambda o, n: _model_changes(o, n, ("failure",)),
        quote_key=True,
    )
    out += _decision_changes(old.decision, new.decision)
    if old.extra != new.extra:
        out.append("extra: changed")
    out += _computed_changes(old, new)
    return out


# ------------------------------------------------------------------ helpers


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_show(v).strip("'") for v in value) + "]"
    return str(value)


def _short(text: str) -> str:
    return repr(text) if len(text) <= SHORT_TEXT else repr(text[: SHORT_TEXT - 3] + "...")


def _field(out: list[str], label: str, old: Any, new: Any) -> None:
    if old == new:
        return
    long_text = any(isinstance(v, str) and len(v) > SHORT_TEXT for v in (old, new))
    if long_text and old is not None and new is not None:
        out.append(f"{label}: changed")
    elif long_text and old is None:
        out.append(f"{label}: added")
    elif long_text:
        out.append(f"{label}: removed")
    else:
        out.append(f"{label}: {_show(old)} -> {_show(new)}")


def _model_changes(old: Any, new: Any, skip: Sequence[str]) -> list[str]:
    out: list[str] = []
    for key in type(old).model_fields:
        if key in skip:
            continue
        _field(out, key, getattr(old, key), getattr(new, key))
    return out


def _items(
    out: list[str],
    what: str,
    old: Sequence[Any],
    new: Sequence[Any],
    key: Callable[[Any], str],
    added: Callable[[Any], str],
    changes: Callable[[Any, Any], list[str]],
    quote_key: bool = False,
) -> None:
    """Items matched by key: removed, added, then changed ones, in file order.

    A key that occurs more than once (two metrics of one name) is told apart by
    its occurrence: the second is matched with the second, and shown as ``#2``.
    """
    old_by = _keyed(old, key)
    new_by = _keyed(new, key)

    def name(k: tuple[str, int]) -> str:
        text = _short(k[0]) if quote_key else k[0]
        return text if k[1] == 0 else f"{text} #{k[1] + 1}"

    for k in old_by:
        if k not in new_by:
            out.append(f"{what} removed: {name(k)}")
    for k, item in new_by.items():
        if k not in old_by:
            detail = added(item)
            out.append(f"{what} added: {name(k)}" + (f" ({detail})" if detail else ""))
    for k, item in new_by.items():
        before = old_by.get(k)
        if before is not None and before != item:
            for line in changes(before, item):
                out.append(f"{what} {name(k)}: {line}")
    old_order = [k for k in old_by if k in new_by]
    new_order = [k for k in new_by if k in old_by]
    if old_order != new_order:
        out.append(f"{_plural(what)} reordered")


def _keyed(items: Sequence[Any], key: Callable[[Any], str]) -> dict[tuple[str, int], Any]:
    seen: dict[str, int] = {}
    out = {}
    for item in items:
        k = key(item)
        n = seen.get(k, 0)
        seen[k] = n + 1
        out[(k, n)] = item
    return out


def _plural(what: str) -> str:
    return {"hypothesis": "hypotheses", "premortem item": "premortem items"}.get(what, what + "s")


def _harm_added(h: Harm) -> str:
    ratings = ", ".join(f"{r[0].upper()}={getattr(h, r)}" for r in RATINGS)
    return f"{h.type}, {ratings}"


def _harm_changes(old: Harm, new: Harm) -> list[str]:
    out: list[str] = []
    for key in ("type", "source", "statement", "affected"):
        _field(out, key, getattr(old, key), getattr(new, key))
    for r in RATINGS:
        a, b = getattr(old, r), getattr(new, r)
        if a != b:
            out.append(f"{r} {a} -> {b}")
    out += _residual_changes(old.residual, new.residual)
    out += _exposure_changes(old.exposure, new.exposure)
    for key in ("rationale", "rater_confidence", "evidence", "precedents"):
        _field(out, key, getattr(old, key), getattr(new, key))
    return out


def _residual_changes(old: Residual | None, new: Residual | None) -> list[str]:
    out = []
    for r in RATINGS:
        a = getattr(old, r) if old else None
        b = getattr(new, r) if new else None
        if a != b:
            out.append(f"residual {r} {_show(a)} -> {_show(b)}")
    return out


def _exposure_changes(old: Exposure | None, new: Exposure | None) -> list[str]:
    if old == new:
        return []
    if old is None:
        return ["exposure estimate added"]
    if new is None:
        return ["exposure estimate removed"]
    out = []
    for (key, a), (_, b) in zip(old.factors(), new.factors(), strict=True):
        if a != b:
            out.append(f"exposure {key} {_show(a)} -> {_show(b)}")
    return out


def _decision_changes(old: Decision | None, new: Decision | None) -> list[str]:
    if old == new:
        return []
    if new is None:
        assert old is not None
        return [f"decision removed (was {old.verdict.value}, {old.status.value})"]
    if old is None:
        return [
            f"decision added: {new.verdict.value} ({new.status.value}, decided on {new.decided_on})"
        ]
    out: list[str] = []
    for line in _model_changes(old, new, ()):
        out.append(f"decision.{line}")
    return out


def _computed_changes(old: Assessment, new: Assessment) -> list[str]:
    """What the edits did to the numbers the workbench computes (independent of today)."""
    a = evaluate(old, with_sensitivity=False)
    b = evaluate(new, with_sensitivity=False)
    out: list[str] = []
    old_harms = {h.id: h for h in a.harms}
    for h in b.harms:
        before = old_harms.get(h.id)
        if before is None:
            continue
        if before.inherent.tier != h.inherent.tier:
            out.append(
                f"harm {h.id}: priority {before.inherent.tier.label} -> {h.inherent.tier.label}"
            )
        if before.residual.tier != h.residual.tier:
            out.append(
                f"harm {h.id}: residual priority {before.residual.tier.label} -> "
                f"{h.residual.tier.label}"
            )
    before_people = people_range(a.harmed_low, a.harmed_high)
    after_people = people_range(b.harmed_low, b.harmed_high)
    if before_people != after_people:
        out.append(f"people harmed: {before_people} -> {after_people}")
    if a.recommended != b.recommended:
        out.append(f"recommended verdict: {a.recommended.value} -> {b.recommended.value}")
    return out
