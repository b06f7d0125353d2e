"""The recipe "Add a score component" (docs/architecture.md) holds for every kind of component.

Each kind of named component a `Problem` declares (a field holding a tuple of `ScoreComponent`s)
must reach every place the recipe names: the JSON contract and the settings document carry it,
the scorer scores it, the verifier recomputes it from its own definition, and explanations word
it with its own facts. A new kind without an example here fails the first test.
"""

from __future__ import annotations

import dataclasses
import typing

import pytest

import pairmatch as pm
from pairmatch.contract import MatchRequest
from pairmatch.io.config import ConfigDocument
from pairmatch.preferences import ScoreComponent
from pairmatch.scoring import Scorer

FEMALE = pm.Condition(attribute="sex", equals="female")
EXAMPLES: dict[type[ScoreComponent], ScoreComponent] = {
    pm.Preference: pm.Preference(
        name="female_officer", weight=0.3, description="prefers a female officer", then=pm.Then(mentee=(FEMALE,))
    ),
    pm.RankScore: pm.RankScore(name="choice", side="mentee", weight=0.4, description="the officer's choice"),
}


def component_fields() -> dict[str, type[ScoreComponent]]:
    """Problem fields that hold named components of one kind."""
    out = {}
    for name, hint in typing.get_type_hints(pm.Problem).items():
        args = typing.get_args(hint)
        if (
            typing.get_origin(hint) is tuple
            and args
            and isinstance(args[0], type)
            and issubclass(args[0], ScoreComponent)
        ):
            out[name] = args[0]
    return out


def test_every_kind_of_component_has_an_example_here():
    kinds = component_fields()
    assert set(kinds) == {"preferences", "rank_scores"}
    assert set(kinds.values()) == set(EXAMPLES)


@pytest.mark.parametrize("field", sorted(component_fields()))
def test_the_contract_and_the_settings_carry_it(field):
    assert field in MatchRequest.model_fields
    assert field in ConfigDocument.model_fields


@pytest.mark.parametrize("field", sorted(component_fields()))
def test_it_is_scored_checked_and_explained(field):
    component = EXAMPLES[component_fields()[field]]
    problem = pm.Problem(
        mentors=[pm.Mentor(id="A", focus_areas=["knife crime"], boroughs=["Newham"])],
        mentees=[
            pm.Mentee(id="X", focus_areas=["knife crime"], attributes={"sex": "female"}, ranking="A"),
            pm.Mentee(id="Y", focus_areas=["knife crime"], attributes={"sex": "male"}),
        ],
        **{field: (component,)},
    )
    assert component.name in problem.component_names
    assert problem.component_weights()[component.name] == component.weight
    block = Scorer(problem).block(slice(None))
    assert block[component.name].tolist() == [[1.0, 0.0]]
    result = pm.solve(problem)
    assert [(p.mentor_id, p.mentee_id) for p in result.pairs] == [("A", "X")]
    assert result.pairs[0].components[component.name] == 1.0
    assert pm.violations(result, problem) == []
    # The verifier recomputes the value itself: a wrong value is caught.
    pair = result.pairs[0]
    tampered = dataclasses.replace(pair, components={**pair.components, component.name: 0.0})
    found = pm.violations(dataclasses.replace(result, pairs=(tampered,)), problem)
    assert [v.kind for v in found] == ["component"]
    assert component.name in found[0].message
    facts = pm.explain_pair(result, "A", "X").facts[component.name]
    assert facts.startswith(component.label)
    assert facts != f"{component.label} 1 (weight {component.weight:g})"  # its own words, not the generic ones
