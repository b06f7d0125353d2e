"""The solver tables reach everything that offers a choice, and the solver obeys them.

These tests keep the recipe "add an objective" in docs/architecture.md true: a row of
`OBJECTIVES` (or `BACKENDS`, `METHODS`) shows up in `SolveParams`, the JSON schemas, the
command line and the docs without a second list to edit.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

import pairmatch as pm
from pairmatch.cli import build_parser
from pairmatch.objectives import BACKENDS, METHODS, OBJECTIVES

ROOT = Path(__file__).resolve().parents[2]


def objective_choices() -> dict[str, tuple[str, ...]]:
    """Every command's ``--objective`` choices, by command."""
    found: dict[str, tuple[str, ...]] = {}

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}".strip())
            elif "--objective" in action.option_strings:
                found[path] = tuple(action.choices or ())

    walk(build_parser(), "")
    return found


def test_every_command_offers_every_objective():
    choices = objective_choices()
    assert {"match", "rematch", "demo"} <= set(choices)
    for command, offered in choices.items():
        assert offered == tuple(OBJECTIVES), command


@pytest.mark.parametrize(
    ("field", "table"), [("objective", OBJECTIVES), ("backend", BACKENDS), ("method", METHODS)], ids=str
)
def test_solve_params_and_the_schemas_enumerate_the_table(field, table):
    assert pm.SolveParams.model_json_schema()["properties"][field]["enum"] == list(table)
    schema = json.loads((ROOT / "docs" / "schemas" / "match-request.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["SolveParams"]["properties"][field]["enum"] == list(table)


def test_the_objectives_page_has_a_row_per_objective():
    text = (ROOT / "docs" / "objectives.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_]+)`", text, flags=re.MULTILINE)
    assert set(OBJECTIVES) <= set(rows)


def test_the_solve_params_docstring_names_every_choice():
    doc = pm.SolveParams.__doc__ or ""
    for field, table in (("objective", OBJECTIVES), ("backend", BACKENDS), ("method", METHODS)):
        listed = re.search(rf"^    {field} : \{{(.*)\}}$", doc, flags=re.MULTILINE)
        assert listed is not None, field
        assert re.findall(r'"([a-z_]+)"', listed.group(1)) == list(table), field


def test_the_recipe_names_files_that_exist():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    recipe = page.split("## Recipe: add an objective", 1)[1].split("\n## ", 1)[0]
    paths = set(re.findall(r"`((?:pairmatch|solver|tests|docs)/[\w/]+\.py)`", recipe))
    assert paths
    for path in paths:
        candidates = [ROOT / path, ROOT / "src" / path, ROOT / "src" / "pairmatch" / path]
        assert any(c.exists() for c in candidates), path


@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_only_the_listed_backends_run_an_objective(objective):
    spec = OBJECTIVES[objective]
    for backend in BACKENDS:
        if backend == "auto" or backend in spec.backends:
            pm.SolveParams(objective=objective, backend=backend)
        else:
            with pytest.raises(ValidationError, match=f"cannot solve objective '{objective}'"):
                pm.SolveParams(objective=objective, backend=backend)


@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_the_method_follows_the_table(objective):
    spec = OBJECTIVES[objective]
    problem = pm.synthetic_problem(20, 18, seed=1)
    for method, supported in (("sparse", spec.sparse), ("profiles", spec.profiles)):
        result = pm.solve(problem, pm.SolveParams(objective=objective, method=method))
        assert (result.certificate["method"] == method) == supported, method


@pytest.mark.parametrize("objective", [name for name, spec in OBJECTIVES.items() if spec.cpsat_phases])
def test_cpsat_records_one_phase_per_table_entry(objective):
    phases = OBJECTIVES[objective].cpsat_phases
    cert = pm.solve(pm.pilot_problem(), pm.SolveParams(objective=objective, backend="cpsat")).certificate
    assert {f"phase{k + 1}_objective" for k in range(len(phases))} <= set(cert)
    assert f"phase{len(phases) + 1}_objective" not in cert


def test_an_objective_without_side_constraints_refuses_them():
    for name, spec in OBJECTIVES.items():
        if spec.side_constraints:
            continue
        problem = pm.synthetic_problem(10, seed=1, rules=pm.Rules(match_all_mentees=True))
        with pytest.raises(pm.PairmatchError, match="cannot guarantee"):
            pm.solve(problem, pm.SolveParams(objective=name))
