"""The domain: assessment models, taxonomy, scales, scoring, verdict and findings.

Pure Python and pydantic; nothing here imports textual, duckdb or jinja2.

Names are loaded on first use (PEP 562), so that a caller needing only the
vocabularies (``domain.vocab``) or the formatting helpers does not pay for
pydantic and the models at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "Assessment": "models",
    "Decision": "models",
    "DecisionStatus": "vocab",
    "Evaluation": "evaluation",
    "Exposure": "models",
    "FORMAT_VERSION": "models",
    "Fallback": "models",
    "FallbackKind": "vocab",
    "Feature": "models",
    "FINDING_RULES": "findings",
    "Finding": "findings",
    "Harm": "models",
    "HarmResult": "evaluation",
    "HarmType": "taxonomy",
    "Hypothesis": "models",
    "HypothesisStatus": "vocab",
    "InvalidInput": "errors",
    "Level": "findings",
    "Metric": "models",
    "MetricKind": "vocab",
    "PremortemItem": "models",
    "Priority": "scoring",
    "RATINGS": "models",
    "Residual": "models",
    "SCALES": "scales",
    "Scale": "scales",
    "SensitivityChange": "evaluation",
    "Source": "vocab",
    "Stage": "vocab",
    "Step": "findings",
    "Taxonomy": "taxonomy",
    "Tier": "vocab",
    "VERDICT_ORDER": "evaluation",
    "Verdict": "vocab",
    "builtin_taxonomy": "taxonomy",
    "default_review_by": "evaluation",
    "dump_json": "files",
    "dump_toml": "files",
    "evaluate": "evaluation",
    "exposure_bounds": "scoring",
    "iter_assessment_paths": "files",
    "load_taxonomy": "taxonomy",
    "parse_assessment": "files",
    "priority": "scoring",
    "read_assessment": "files",
    "rpn": "scoring",
    "rules": "scoring",
    "to_data": "files",
}

__all__ = [
    "FINDING_RULES",
    "Assessment",
    "Decision",
    "DecisionStatus",
    "Evaluation",
    "Exposure",
    "FORMAT_VERSION",
    "Fallback",
    "FallbackKind",
    "Feature",
    "Finding",
    "Harm",
    "HarmResult",
    "HarmType",
    "Hypothesis",
    "HypothesisStatus",
    "InvalidInput",
    "Level",
    "Metric",
    "MetricKind",
    "PremortemItem",
    "Priority",
    "RATINGS",
    "Residual",
    "SCALES",
    "Scale",
    "SensitivityChange",
    "Source",
    "Stage",
    "Step",
    "Taxonomy",
    "Tier",
    "VERDICT_ORDER",
    "Verdict",
    "builtin_taxonomy",
    "default_review_by",
    "dump_json",
    "dump_toml",
    "evaluate",
    "exposure_bounds",
    "iter_assessment_paths",
    "load_taxonomy",
    "parse_assessment",
    "priority",
    "read_assessment",
    "rpn",
    "rules",
    "to_data",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


if TYPE_CHECKING:
    from .errors import InvalidInput
    from .evaluation import (
        VERDICT_ORDER,
        Evaluation,
        HarmResult,
        SensitivityChange,
        default_review_by,
        evaluate,
    )
    from .files import (
        dump_json,
        dump_toml,
        iter_assessment_paths,
        parse_assessment,
        read_assessment,
        to_data,
    )
    from .findings import FINDING_RULES, Finding, Level, Step
    from .models import (
        FORMAT_VERSION,
        RATINGS,
        Assessment,
        Decision,
        Exposure,
        Fallback,
        Feature,
        Harm,
        Hypothesis,
        Metric,
        PremortemItem,
        Residual,
    )
    from .scales import SCALES, Scale
    from .scoring import Priority, exposure_bounds, priority, rpn, rules
    from .taxonomy import HarmType, Taxonomy, builtin_taxonomy, load_taxonomy
    from .vocab import (
        DecisionStatus,
        FallbackKind,
        HypothesisStatus,
        MetricKind,
        Source,
        Stage,
        Tier,
        Verdict,
    )
