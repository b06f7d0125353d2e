"""How everyday spellings of focus areas fare against the default taxonomy: one table, checked two ways.

Coordinators and young people do not write the taxonomy's 33 topic names; they
write acronyms (VAWG, S&S, CSE) in any case, plurals, typos, American
spellings and the phrases of the street and the news. Each row of
``SPELLINGS`` is one such spelling and what the taxonomy must make of it:

* ``resolves`` - `Taxonomy.canonical` maps it to a topic (the name itself or
  an alias in ``datasets/taxonomy.json``);
* ``suggests`` - it is not a topic, but `Taxonomy.suggest` offers the one
  plainly meant (a typo, a plural), so ``pairmatch validate`` can say "did you
  mean";
* ``nothing`` - neither: no topic covers it, or it could mean several topics.

A wrong confident answer is worse than none: "youth violence" must not become
sexual violence, "gang crime" hate crime, "social media" social inequality,
"trust" drugs or "cybercrime" hate crime. So the ``nothing`` rows matter as much
as the others, and an ambiguous term expects no match rather than a guess.

The second test checks that the messages ``pairmatch validate`` writes
(`pairmatch.io.hints.topic_problem`) agree with the table.
"""

from __future__ import annotations

import pytest

from pairmatch.datasets import default_taxonomy
from pairmatch.io.hints import topic_problem
from pairmatch.text import quoted

VAWG = "violence against women and girls"
RESOLVES, SUGGESTS, NOTHING = "resolves", "suggests", "nothing"

# (written, outcome, topic): the topic it resolves to or is suggested, None for nothing.
SPELLINGS: list[tuple[str, str, str | None]] = [
    # Acronyms, in several cases and with stray punctuation.
    ("VAWG", RESOLVES, VAWG),
    ("vawg", RESOLVES, VAWG),
    ("Vawg", RESOLVES, VAWG),
    ("V.A.W.G.", RESOLVES, VAWG),
    ("DA", RESOLVES, "domestic abuse"),
    ("da", RESOLVES, "domestic abuse"),
    ("DV", RESOLVES, "domestic abuse"),
    ("S&S", RESOLVES, "stop and search"),
    ("s&s", RESOLVES, "stop and search"),
    ("s & s", RESOLVES, "stop and search"),
    ("CSE", RESOLVES, "child exploitation"),
    ("cse", RESOLVES, "child exploitation"),
    ("CCE", RESOLVES, "child exploitation"),
    ("SYV", RESOLVES, "serious youth violence"),
    ("syv", RESOLVES, "serious youth violence"),
    ("ASB", RESOLVES, "anti-social behaviour"),
    ("asb", RESOLVES, "anti-social behaviour"),
    ("ASB.", RESOLVES, "anti-social behaviour"),
    ("FGM", RESOLVES, VAWG),
    ("fgm", RESOLVES, VAWG),
    ("EDI", RESOLVES, "equality and inclusion"),
    ("D&I", RESOLVES, "equality and inclusion"),
    ("MH", RESOLVES, "mental health"),
    ("RASSO", RESOLVES, "sexual violence"),
    # Everyday phrases.
    ("county lines", RESOLVES, "county lines"),
    ("County Lines", RESOLVES, "county lines"),
    ("gangs", RESOLVES, "gang violence"),
    ("gang", RESOLVES, "gang violence"),
    ("gang crime", RESOLVES, "gang violence"),
    ("racism", RESOLVES, "racial disproportionality"),
    ("youth violence", RESOLVES, "serious youth violence"),
    ("serious violence", RESOLVES, "violent crime"),
    ("social media", RESOLVES, "social media"),
    ("Social-Media", RESOLVES, "social media"),
    ("trust", RESOLVES, "trust and confidence"),
    ("trust & confidence", RESOLVES, "trust and confidence"),
    ("stabbings", RESOLVES, "knife crime"),
    ("knife carrying", RESOLVES, "knife crime"),
    ("knife-carrying", RESOLVES, "knife crime"),
    ("hate crimes", RESOLVES, "hate crime"),
    ("female genital mutilation", RESOLVES, VAWG),
    ("honour-based abuse", RESOLVES, VAWG),
    ("Honour Based Abuse", RESOLVES, VAWG),
    ("honour based violence", RESOLVES, VAWG),
    ("misogyny", RESOLVES, VAWG),
    ("coercive control", RESOLVES, "domestic abuse"),
    ("domestic violence", RESOLVES, "domestic abuse"),
    ("stalking", RESOLVES, "stalking and harassment"),
    ("harassment", RESOLVES, "stalking and harassment"),
    ("exploitation", RESOLVES, "child exploitation"),
    ("grooming", RESOLVES, "child exploitation"),
    ("mental illness", RESOLVES, "mental health"),
    ("drug dealing", RESOLVES, "drugs"),
    ("modern day slavery", RESOLVES, "modern slavery"),
    ("modern-day slavery", RESOLVES, "modern slavery"),
    ("trafficking", RESOLVES, "modern slavery"),
    ("human trafficking", RESOLVES, "modern slavery"),
    ("stop & search", RESOLVES, "stop and search"),
    ("Stop and Search", RESOLVES, "stop and search"),
    ("stop-search", RESOLVES, "stop and search"),
    ("police misconduct", RESOLVES, "police conduct and standards"),
    ("use of force", RESOLVES, "use of force"),
    ("Use Of Force", RESOLVES, "use of force"),
    ("Taser", RESOLVES, "use of force"),
    ("Child Q", RESOLVES, "strip search of children"),
    ("strip-search", RESOLVES, "strip search of children"),
    ("cyber bullying", RESOLVES, "online safety"),
    ("poverty", RESOLVES, "social inequality"),
    ("mugging", RESOLVES, "robbery"),
    # American spellings of British names.
    ("anti-social behavior", RESOLVES, "anti-social behaviour"),
    ("antisocial behavior", RESOLVES, "anti-social behaviour"),
    ("neighborhood policing", RESOLVES, "neighbourhood policing"),
    ("honor-based abuse", SUGGESTS, VAWG),
    # Typos and plurals: not a topic, but the one meant is plain.
    ("knif crime", SUGGESTS, "knife crime"),
    ("knife crimes", SUGGESTS, "knife crime"),
    ("stabbing", SUGGESTS, "knife crime"),
    ("county line", SUGGESTS, "county lines"),
    ("domestic vilence", SUGGESTS, "domestic abuse"),
    ("safegaurding", SUGGESTS, "safeguarding"),
    ("mental heath", SUGGESTS, "mental health"),
    ("drug", SUGGESTS, "drugs"),
    ("robery", SUGGESTS, "robbery"),
    ("hate crme", SUGGESTS, "hate crime"),
    ("hate", SUGGESTS, "hate crime"),
    ("tasers", SUGGESTS, "use of force"),
    ("stop and searches", SUGGESTS, "stop and search"),
    ("strip searching", SUGGESTS, "strip search of children"),
    ("trust and confidnce", SUGGESTS, "trust and confidence"),
    ("trusts", SUGGESTS, "trust and confidence"),
    ("modren slavery", SUGGESTS, "modern slavery"),
    ("sexual vilence", SUGGESTS, "sexual violence"),
    ("youth violnce", SUGGESTS, "serious youth violence"),
    ("socail media", SUGGESTS, "social media"),
    ("social medias", SUGGESTS, "social media"),
    # No topic covers these: computer crime is not online safety (harm to users online).
    ("cybercrime", NOTHING, None),
    ("cyber crime", NOTHING, None),
    ("cyber-crime", NOTHING, None),
    ("hacking", NOTHING, None),
    ("fraud", NOTHING, None),
    ("burglary", NOTHING, None),
    ("terrorism", NOTHING, None),
    ("road safety", NOTHING, None),
    ("gun crime", NOTHING, None),
    ("parking", NOTHING, None),
    ("Atlantis", NOTHING, None),
    # The American term for a different power (a Terry stop); the British one, stop and search, is
    # what coordinators here write, so it gets neither an alias nor a guess.
    ("stop and frisk", NOTHING, None),
    # Ambiguous: each could mean two or more topics, so no guess.
    ("county lines exploitation", NOTHING, None),  # county lines or child exploitation
    ("online grooming", NOTHING, None),  # online safety or child exploitation
    ("sexual abuse", NOTHING, None),  # sexual violence, child exploitation or safeguarding
    ("homophobia", NOTHING, None),  # hate crime or equality and inclusion
    ("racial profiling", NOTHING, None),  # racial disproportionality or stop and search
    ("police brutality", NOTHING, None),  # use of force or police conduct and standards
    ("abuse", NOTHING, None),  # domestic, sexual, child, online ...
    ("children", NOTHING, None),
    ("policing", NOTHING, None),
]


@pytest.fixture(scope="module")
def taxonomy():
    return default_taxonomy()


def test_the_table_is_large_and_covers_every_outcome():
    written = [text for text, _, _ in SPELLINGS]
    assert len(written) >= 70
    assert len(set(written)) == len(written), "a spelling is listed twice"
    assert {outcome for _, outcome, _ in SPELLINGS} == {RESOLVES, SUGGESTS, NOTHING}
    for text, outcome, topic in SPELLINGS:
        assert (topic is None) == (outcome == NOTHING), text


def test_every_topic_in_the_table_is_a_topic(taxonomy):
    assert {topic for _, _, topic in SPELLINGS if topic} <= set(taxonomy.topics)


@pytest.mark.parametrize(("written", "outcome", "topic"), SPELLINGS, ids=[row[0] for row in SPELLINGS])
def test_spelling_resolves_suggests_or_matches_nothing(taxonomy, written, outcome, topic):
    canonical, suggestion = taxonomy.canonical(written), taxonomy.suggest(written)
    if outcome == RESOLVES:
        assert (canonical, suggestion) == (topic, topic)
        assert written in taxonomy
    elif outcome == SUGGESTS:
        assert (canonical, suggestion) == (None, topic)
    else:
        assert (canonical, suggestion) == (None, None)


@pytest.mark.parametrize(("written", "outcome", "topic"), SPELLINGS, ids=[row[0] for row in SPELLINGS])
def test_validate_messages_agree_with_the_table(taxonomy, written, outcome, topic):
    problem = topic_problem(taxonomy, written)
    if outcome == RESOLVES:
        assert problem is None
    else:
        # 33 topics are too many to list, so the message is the same with or without a suggestion.
        assert problem == (f"{quoted(written)} is not a known focus area", topic)
