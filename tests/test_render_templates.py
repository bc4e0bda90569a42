"""User templates: sandboxed, strict about undefined variables, errors with file and line."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import TODAY  # noqa: E402  (the one fixed "today" of the tests)
from markdown_check import parse

from aipm_workbench.domain import evaluate, parse_assessment
from aipm_workbench.render import Renderer, TemplateProblem, portfolio_context, record_context


def context(name: str = "A feature") -> dict:
    a = parse_assessment(
        {
            "format": "aipm-assessment/1",
            "feature": {"id": "feat", "name": name},
            "metrics": [
                {"name": "m", "kind": "product", "target": "t", "decided_on": dt.date(2026, 1, 1)}
            ],
        },
        "t.toml",
    )
    return record_context(evaluate(a, TODAY))


def write(tmp_path, body: str, name: str = "mine.md.j2"):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_a_user_template_renders_the_documented_variables(tmp_path):
    path = write(
        tmp_path,
        "# {{ record.title }}: {{ feature.name|oneline }}\n\n"
        "Recommended: {{ recommended.label }} ({{ recommended.reason|inline }})\n"
        "Harms: {{ totals.harms }}; findings: {{ findings|length }}\n",
    )
    out = Renderer(path).decision_record(context())
    assert out.startswith("# ADR feat: A feature\n\nRecommended: ship (no harm is above Low")
    assert "Harms: 0; findings: 1\n" in out


def test_user_data_that_looks_like_jinja_is_printed_not_evaluated(tmp_path):
    path = write(tmp_path, "{{ feature.name }} / {{ feature.name|inline }}\n")
    out = Renderer(path).decision_record(context("{{ 7*7 }} {% raw %}"))
    assert out == "{{ 7*7 }} {% raw %} / {{ 7\\*7 }} {% raw %}\n"


def test_a_syntax_error_names_the_file_and_line_before_rendering(tmp_path):
    path = write(tmp_path, "line one\n\n{% if feature %}\nno end\n")
    with pytest.raises(TemplateProblem) as err:
        Renderer(path)
    assert err.value.file == str(path)
    assert err.value.line == 4
    assert str(err.value).startswith(f"{path}:4: template syntax error:")


def test_an_undefined_variable_names_the_line(tmp_path):
    path = write(tmp_path, "fine {{ feature.id }}\n\nthen {{ no_such_thing }}\n")
    renderer = Renderer(path)
    with pytest.raises(TemplateProblem) as err:
        renderer.decision_record(context())
    assert (err.value.file, err.value.line) == (str(path), 3)
    assert "'no_such_thing' is undefined" in err.value.message
    assert "docs/templates.md" in err.value.message


def test_a_missing_attribute_is_an_error_too(tmp_path):
    path = write(tmp_path, "{{ feature.nickname }}\n")
    with pytest.raises(TemplateProblem) as err:
        Renderer(path).decision_record(context())
    assert err.value.line == 1
    assert "nickname" in err.value.message


@pytest.mark.parametrize(
    "expression",
    [
        "''.__class__.__mro__",
        "feature.__class__",
        "record.__init__.__globals__",
        "cycler.__init__.__globals__",
        "lipsum.__globals__",
        "'{0.__class__}'.format(feature)",
        "range.__self__",
    ],
)
def test_the_sandbox_refuses_internals(tmp_path, expression):
    path = write(tmp_path, "ok\n{{ " + expression + " }}\n")
    with pytest.raises(TemplateProblem) as err:
        Renderer(path).decision_record(context())
    assert (err.value.file, err.value.line) == (str(path), 2)


def test_a_sandbox_violation_says_so(tmp_path):
    path = write(tmp_path, "{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    with pytest.raises(TemplateProblem) as err:
        Renderer(path).decision_record(context())
    assert "sandbox" in err.value.message
    assert "__class__" in err.value.message


def test_user_templates_cannot_mutate_the_context(tmp_path):
    path = write(tmp_path, "{{ findings.append(1) }}\n")
    with pytest.raises(TemplateProblem) as err:
        Renderer(path).decision_record(context())
    assert err.value.line == 1


def test_a_missing_template_file_is_a_problem(tmp_path):
    with pytest.raises(TemplateProblem) as err:
        Renderer(tmp_path / "nope.j2")
    assert str(err.value) == f"{tmp_path / 'nope.j2'}: no such template file"
    with pytest.raises(TemplateProblem, match="is a folder"):
        Renderer(tmp_path)


def test_a_binary_template_file_is_a_problem(tmp_path):
    path = tmp_path / "bin.j2"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(TemplateProblem, match="not a UTF-8 text file"):
        Renderer(path)


def test_an_error_in_an_included_file_names_that_file(tmp_path):
    part = write(tmp_path, "part line 1\n{{ missing_in_part }}\n", "part.j2")
    path = write(tmp_path, "{% include 'part.j2' %}\n")
    with pytest.raises(TemplateProblem) as err:
        Renderer(path).decision_record(context())
    assert err.value.line == 2
    assert err.value.file == str(part.resolve())


def test_including_a_missing_file_is_a_problem(tmp_path):
    path = write(tmp_path, "one\n{% include 'gone.j2' %}\n")
    with pytest.raises(TemplateProblem) as err:
        Renderer(path).decision_record(context())
    assert "gone.j2" in err.value.message


def test_a_user_template_can_extend_the_builtin_record(tmp_path):
    path = write(
        tmp_path,
        '{% extends "builtin/decision_record.md.j2" %}\n'
        "{% block premortem %}\n## Premortem\n\nSee the workshop notes.\n{% endblock %}\n",
    )
    out = Renderer(path).decision_record(context())
    parsed = parse(out)
    assert parsed.front_matter["feature"] == "feat"
    assert "See the workshop notes." in out
    assert "nobody has written down how this could fail" not in out


def test_the_same_user_template_serves_the_portfolio(tmp_path):
    path = write(tmp_path, "{{ total }} features as of {{ today }}\n")
    ctx = portfolio_context([], {}, TODAY)
    assert Renderer(path).portfolio(ctx) == "0 features as of 2026-11-28\n"


def test_the_builtin_renderer_compiles_each_template_once():
    from aipm_workbench.render import renderer as module

    module._builtin.cache_clear()
    for _ in range(3):
        Renderer().decision_record(context())
    info = module._builtin.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_every_context_variable_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "templates.md").read_text()
    record = context()
    portfolio = portfolio_context([], {}, TODAY)
    for ctx in (record, portfolio):
        for key in ctx:
            assert f"`{key}`" in doc, key
    for section in ("record", "feature", "recommended", "totals", "review"):
        for key in record[section]:
            assert f"`{key}`" in doc, f"{section}.{key}"


# ------------------------------------------------------- hostile templates


def test_an_include_that_resolves_outside_the_folder_is_refused(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret\n", encoding="utf-8")
    (folder / "part.md").symlink_to(secret)
    path = write(folder, "line 1\n{% include 'part.md' %}\n")
    with pytest.raises(TemplateProblem) as err:
        Renderer(path).decision_record(context())
    assert err.value.file == str(path) and err.value.line == 2
    assert "outside the template folder" in err.value.message


def test_an_include_through_a_symlinked_folder_or_dotdot_is_refused(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    other = tmp_path / "other"
    other.mkdir()
    (other / "part.md").write_text("from outside\n", encoding="utf-8")
    (folder / "sub").symlink_to(other)
    path = write(folder, "{% include 'sub/part.md' %}\n")
    with pytest.raises(TemplateProblem, match="outside the template folder"):
        Renderer(path).decision_record(context())


def test_an_include_inside_the_folder_still_works(tmp_path):
    (tmp_path / "real.md").write_text("included {{ feature.id }}\n", encoding="utf-8")
    (tmp_path / "alias.md").symlink_to(tmp_path / "real.md")
    path = write(tmp_path, "{% include 'alias.md' %}")
    assert Renderer(path).decision_record(context()) == "included feat\n"


def test_extending_a_file_outside_the_folder_is_refused(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (tmp_path / "base.j2").write_text("base\n", encoding="utf-8")
    (folder / "base.j2").symlink_to(tmp_path / "base.j2")
    path = write(folder, "{% extends 'base.j2' %}\n")
    with pytest.raises(TemplateProblem, match="outside the template folder"):
        Renderer(path).decision_record(context())


@pytest.mark.parametrize(
    "expression",
    [
        "'x' * 10**10",
        "('x' * 1000000) * 1000",
        "[1] * 10**9",
        "'x'.ljust(10**10)",
        "'x'|center(10**10)",
        "'%10000000000s' % 'x'",
        "'{:>10000000000}'.format('x')",
        "'{:>{}}'.format('x', 10**10)",
        "'%*s' % (10**10, 'x')",
        "'%*s'|format(10**10, 'x')",
        "range(10**6)|list|length",
        "10 ** 100000",
    ],
)
def test_the_sandbox_refuses_to_build_huge_values(tmp_path, expression):
    path = write(tmp_path, "line 1\n{{ " + expression + " }}\n")
    with pytest.raises(TemplateProblem) as err:
        Renderer(path).decision_record(context())
    assert err.value.line == 2
    assert "not allowed in a user template" in err.value.message


def test_modest_repetition_and_ranges_still_work(tmp_path):
    path = write(tmp_path, "{{ '-' * 40 }}{{ range(1000)|list|length }}{{ 2 ** 10 }}\n")
    assert Renderer(path).decision_record(context()) == "-" * 40 + "10001024\n"


def test_a_record_over_ten_megabytes_is_refused(tmp_path):
    path = write(tmp_path, "start\n{% for i in range(20000) %}{{ 'x' * 1000 }}{% endfor %}\n")
    with pytest.raises(TemplateProblem) as err:
        Renderer(path).decision_record(context())
    assert err.value.file == str(path) and err.value.line == 2
    assert "over 10 MB" in err.value.message


def test_a_render_past_the_time_limit_is_stopped(tmp_path, monkeypatch):
    from aipm_workbench.render import sandbox

    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.3)
    path = write(
        tmp_path,
        "start\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n",
    )
    with pytest.raises(TemplateProblem) as err:
        Renderer(path).decision_record(context())
    assert err.value.file == str(path) and err.value.line == 2
    assert "longer than 0.3 s" in err.value.message


def test_the_time_limit_never_fires_after_a_render(tmp_path, monkeypatch):
    import threading

    from aipm_workbench.render import sandbox

    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.05)
    path = write(tmp_path, "{{ feature.id }}\n")
    assert Renderer(path).decision_record(context()) == "feat\n"
    done = threading.Event()
    done.wait(0.2)  # past the limit: a stray timer would raise here
    assert sum(range(1000)) == 499500


def test_user_text_printed_without_a_filter_is_still_shown_safely(tmp_path):
    path = write(tmp_path, "{{ feature.name }}\n")
    out = Renderer(path).decision_record(context("a\x1b]0;title\x07 \u202eb\nc"))
    assert out == "a\\x1b]0;title\\x07 <U+202E>b\nc\n"


def test_a_builtin_record_over_ten_megabytes_is_refused():
    ctx = context()
    ctx["feature"] = {**ctx["feature"], "description": "words " * 2_000_000}
    with pytest.raises(TemplateProblem, match="over 10 MB"):
        Renderer().decision_record(ctx)


@pytest.mark.parametrize(
    "body",
    [
        "{% set s = 'x' * 10000000 %}{{ s ~ s }}",
        "{% set s = 'x' * 10000000 %}{{ [s] * 100000 }}",
        "{% set s = 'x' * 10000000 %}{{ ([s] * 2)|join }}",
        "{% set s = 'x' * 10000000 %}{{ [s, s]|tojson }}",
        "{% set s = 'x' * 6000000 %}{{ s|replace('x', 'yy') }}",
        "{% set s = 'x' * 6000000 %}{% set l = [s] %}{{ l + l }}",
        "{% set l = [range(100000)|list] * 100 %}{{ l|sum(start=[])|length }}",
        "{{ 'x'.encode() * 10**10 }}",
        "{{ lipsum(10**9) }}",
    ],
)
def test_the_sandbox_refuses_to_combine_past_the_limit(tmp_path, body):
    path = write(tmp_path, "line 1\n" + body + "\n")
    with pytest.raises(TemplateProblem) as err:
        Renderer(path).decision_record(context())
    assert err.value.line == 2
    assert "not allowed in a user template" in err.value.message


def test_concatenation_and_joins_within_the_limit_still_work(tmp_path):
    path = write(
        tmp_path,
        "{{ feature.id ~ '-' ~ 3 }} {{ ['a', 'b']|join(',') }} {{ [1, 2]|sum }} "
        "{{ 'ab'|replace('a', 'c') }} {{ {'k': 1}|tojson }} {{ lipsum(1, html=false)|length > 0 }}\n",
    )
    assert Renderer(path).decision_record(context()) == 'feat-3 a,b 3 cb {"k": 1} True\n'
