"""Fuzzing: a few hundred seeded mutations of the sample assessment files go through
`check --format json` and `import --dry-run`; every run ends in an exit code of 0, 1
or 2 with a message, never a traceback.

The seed is fixed, so a failure is reproducible: the failing file's mutation is in
the assertion message. ``AIPM_FUZZ_SEED`` runs another seed, ``AIPM_FUZZ_FILES``
another count.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from aipm_workbench.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "sample_projects").glob("*.toml"))
SEED = int(os.environ.get("AIPM_FUZZ_SEED", "20261130"))
FILES = int(os.environ.get("AIPM_FUZZ_FILES", "300"))
ENV = {"AIPM_WORKBENCH_TODAY": "2026-11-28", "AIPM_WORKBENCH_DB": None}

# Values that have broken parsers and arithmetic elsewhere.
NASTY = [
    "0", "-1", "6", "1e308", "-1e308", "nan", "inf", "-inf", "99999999999999999999",
    "0.5", "1.0000001", '""', '"x"', "[]", "{}", "true", "[1, 2]", '"\\u202e"',
    '"\\u001b]0;title\\u0007"', "1970-01-01", "2999-12-31", "2026-02-30",
    '"' + "a" * 300 + '"', '"../../etc/passwd"', '"DROP TABLE revisions"',
    "1e-200", "5e-324", "9999-12-31", "1969-12-31", "3000-01-01",
    '{ op = "<", value = 0.02 }', '{ metric = "nope", op = ">", value = 1 }',
    '"sha256:' + "0" * 64 + '"', '["not-a-case"]',
]  # fmt: skip


def _mutate_value(text: str, rng: random.Random) -> str:
    """Replace the value of one ``key = value`` line."""
    lines = text.splitlines()
    candidates = [i for i, line in enumerate(lines) if re.match(r"^\s*[a-z_]+\s*=", line)]
    if not candidates:
        return text
    i = rng.choice(candidates)
    key = lines[i].split("=", 1)[0]
    lines[i] = f"{key}= {rng.choice(NASTY)}"
    return "\n".join(lines) + "\n"


def _nudge_number(text: str, rng: random.Random) -> str:
    """Replace one number with another plausible one (so that many files stay valid and
    go on to be scored): ratings, shares, counts at and near their bounds."""
    numbers = list(re.finditer(r"(?<=[=\[,] )-?\d+(\.\d+)?(e-?\d+)?(?=[\s,\]])", text))
    if not numbers:
        return text
    m = rng.choice(numbers)
    new = rng.choice(
        ["1", "5", "3", "0.0001", "0.999", "1.0", "1e-6", "100000000", "0.5", "2", "1e-200"]
    )
    return text[: m.start()] + new + text[m.end() :]


def _drop_lines(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        if lines:
            del lines[rng.randrange(len(lines))]
    return "\n".join(lines) + "\n"


def _duplicate_lines(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    i = rng.randrange(len(lines))
    j = min(len(lines), i + rng.randint(1, 12))
    return "\n".join(lines[:j] + lines[i:j] + lines[j:]) + "\n"


def _flip_bytes(text: str, rng: random.Random) -> bytes:
    data = bytearray(text.encode("utf-8"))
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text))]


def _insert_junk(text: str, rng: random.Random) -> str:
    junk = rng.choice(["[[harms]]", "[feature]", "= =", "\x00", "\x1b[2J", '"""', "[", "}"])
    i = rng.randrange(len(text))
    return text[:i] + junk + text[i:]


MUTATIONS = [_nudge_number] * 6 + [_mutate_value, _drop_lines, _duplicate_lines, _flip_bytes]
MUTATIONS += [_truncate, _insert_junk]


def fuzzed_files(folder: Path, n: int, seed: int) -> list[tuple[Path, str]]:
    """``n`` mutated files (TOML, and some as JSON), each with the mutations applied."""
    rng = random.Random(seed)
    texts = [p.read_text(encoding="utf-8") for p in SAMPLES]
    out = []
    for i in range(n):
        text: str | bytes = rng.choice(texts)
        applied = []
        for _ in range(rng.randint(1, 2)):
            mutation = rng.choice(MUTATIONS)
            if isinstance(text, bytes):
                break
            text = mutation(text, rng)
            applied.append(mutation.__name__)
        suffix = ".toml"
        if isinstance(text, str) and rng.random() < 0.15:
            text, suffix = _as_json(text, rng), ".json"
            applied.append("as_json")
        path = folder / f"fuzz-{i:04d}{suffix}"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
        out.append((path, "+".join(applied)))
    return out


def _as_json(text: str, rng: random.Random) -> str:
    """The TOML as JSON when it parses, with one value replaced; else raw text."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return text
    body = json.dumps(data, default=str)
    keys = re.findall(r'"([a-z_]+)": ', body)
    if keys:
        key = rng.choice(keys)
        body = body.replace(f'"{key}": ', f'"{key}": {rng.choice(NASTY)}, "_was": ', 1)
    return body


def assert_handled(result, args, mutation: str) -> None:
    where = f"{' '.join(args)} ({mutation})"
    assert "Traceback" not in result.output, where
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{where}: {result.exception!r}"
    )
    assert result.exit_code in (0, 1, 2), f"{where}: exit {result.exit_code}: {result.output}"
    if result.exit_code == 2:
        assert result.stderr.strip(), f"{where}: exit 2 without a message"


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory) -> list[tuple[Path, str]]:
    return fuzzed_files(tmp_path_factory.mktemp("fuzz"), FILES, SEED)


def test_check_json_never_raises(fuzzed):
    runner = CliRunner(env=ENV)
    for path, mutation in fuzzed:
        args = ["check", "--format", "json", str(path)]
        result = runner.invoke(main, args)
        assert_handled(result, args, mutation)
        if result.exit_code in (0, 1):
            assert json.loads(result.stdout)[0]["file"] == str(path)


def test_import_dry_run_never_raises(fuzzed, tmp_path):
    runner = CliRunner(env=ENV)
    db = tmp_path / "w.duckdb"
    for path, mutation in fuzzed:
        args = ["--db", str(db), "import", "--dry-run", str(path)]
        result = runner.invoke(main, args)
        assert_handled(result, args, mutation)
    assert not db.exists(), "a dry run writes nothing"


def test_the_fuzzer_makes_both_valid_and_invalid_files(fuzzed):
    """The mutations are neither all harmless nor all fatal: the runs above test both."""
    runner = CliRunner(env=ENV)
    codes = {runner.invoke(main, ["check", str(p)]).exit_code for p, _ in fuzzed[:60]}
    assert {0, 2} <= codes
