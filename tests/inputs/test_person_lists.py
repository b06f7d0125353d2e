"""A person's list fields refuse anything but a list of texts (or one ';'-separated text) with a clear error."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pairmatch.models import Mentor


@pytest.mark.parametrize("field", ["availability", "boroughs", "focus_areas"])
@pytest.mark.parametrize("value", [None, 1, 1.5, True, {}, [None], [1], [["Tue 18:00-19:00"]]])
def test_a_list_field_of_the_wrong_type_is_a_validation_error_naming_the_field(field, value):
    with pytest.raises(ValidationError) as err:
        Mentor(id="M1", **{field: value})
    [problem] = err.value.errors()
    assert problem["loc"] == (field,)
    assert "M1" in problem["msg"]
    assert type(value if not isinstance(value, list) else value[0]).__name__ in problem["msg"]


def test_lists_and_semicolon_separated_texts_are_both_accepted():
    mentor = Mentor(id="M1", availability="Tue 18:00-19:00; Wed 18:00-19:00", focus_areas=["drugs", "knife crime"])
    assert mentor.availability == ("Tue 18:00-19:00", "Wed 18:00-19:00")
    assert Mentor(id="M2", boroughs="Hackney;Newham").boroughs == ("Hackney", "Newham")
