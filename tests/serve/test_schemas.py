import pytest
from pydantic import ValidationError

from assistant.serve.schemas import SearchFilters, filter_options


def test_kind_spellings_of_no_filter_stay_accepted_and_are_set():
    for spelling in ("", "all", "both"):  # "no kind filter", set: it lifts an implied kind
        assert SearchFilters(kind=spelling).kwargs()["kind"] == "both"  # the retriever maps it
    assert SearchFilters().kind is None  # not set: the wording may imply one
    assert SearchFilters(since="", author="").kwargs() == {
        "since": "", "until": None, "kind": None, "author": ""}
    assert filter_options(None) == {}


def test_unknown_kinds_and_fields_are_refused():
    with pytest.raises(ValidationError, match="kind"):
        SearchFilters(kind="posts")
    with pytest.raises(ValidationError, match="extra"):
        SearchFilters(authr="Getafix")
