import pytest
from pydantic import ValidationError

from assistant.serve.schemas import SearchFilters, filter_options


def test_kind_spellings_of_no_filter_stay_accepted():
    for spelling in ("", "all", None):
        assert SearchFilters(kind=spelling).kind is None
    assert SearchFilters(kind="both").kwargs()["kind"] == "both"  # the retriever maps it
    assert filter_options(None) == {}


def test_unknown_kinds_and_fields_are_refused():
    with pytest.raises(ValidationError, match="kind"):
        SearchFilters(kind="posts")
    with pytest.raises(ValidationError, match="extra"):
        SearchFilters(authr="Getafix")
