"""Implied-filter chips and gap answers on the page: labels, the chips an answer shows, a chip
removed (the question asked again with that filter lifted, the chip gone), explicit filters
showing none, and a gap answer marked in the chat and the sources panel."""

from __future__ import annotations

import pytest

from assistant.records import Answer, AnswerEvent, ImpliedFilter, SourcesEvent
from assistant.ui.chat import ChatHandlers
from assistant.ui.chips import chips_of, dates_label, lift_options
from tests.ui.helpers import CHIPS_QUESTION, filters_index, hit, real_assistant

CONTROLS = {"k": 5, "since": "", "until": "", "kind": "Both", "author": "",
            "choice": "Extractive", "model": "", "url": "", "gguf": ""}
# the outputs' order (page._wire_chat): chat, sources, history, turns, counter, Markdown,
# text, the chips' label, one button per slot (dates, kind, author), what was asked
CHAT, SOURCES, HISTORY, TURNS, COUNTER = range(5)
LABEL, DATES, KIND, AUTHOR, ASKED = range(7, 12)


@pytest.mark.parametrize(("since", "until", "label"), [
    ("2019-01-01", "2019-12-31", "2019"),
    ("2016-03-01", "2016-03-31", "March 2016"),
    ("2016-02-01", "2016-02-29", "February 2016"),
    ("2015-01-01", "2017-12-31", "2015–2017"),
    ("2019-01-01", None, "since 2019"),
    (None, "2015-12-31", "until 2015"),
    ("2016-03-05", "2016-04-01", "2016-03-05 – 2016-04-01"),
])
def test_date_chip_labels(since, until, label):
    assert dates_label(since, until) == label


def test_one_chip_per_kind_of_filter_and_lifting_sets_no_restriction():
    chips = chips_of((ImpliedFilter("since", "2019-01-01", "In 2019"),
                      ImpliedFilter("until", "2019-12-31", "In 2019"),
                      ImpliedFilter("kind", "comment", "readers"),
                      ImpliedFilter("author", "papa", "the commenter papa")))
    assert [c.button for c in chips.values()] == ["2019 ✕", "comments only ✕", "by papa ✕"]
    assert chips["kind"].phrase == "readers"
    options = {"k": 5, "since": None, "until": None, "kind": None, "author": "Getafix"}
    assert lift_options(options, ["dates", "kind", "author"]) == {
        "k": 5, "since": "", "until": "", "kind": "all", "author": "Getafix"}


def _steps(generator):
    return list(generator)


def _ask(handlers, question, **controls):
    chat = [{"role": "user", "content": question}]
    return _steps(handlers.respond(question, chat, [], [], 0, *(CONTROLS | controls).values()))


@pytest.fixture
def filtered(tmp_path):
    settings = filters_index(tmp_path)
    return real_assistant(settings), settings


def test_an_answer_shows_its_implied_filters_as_chips_and_removing_one_asks_again(filtered):
    assistant, settings = filtered
    handlers = ChatHandlers(assistant, settings)
    final = _ask(handlers, CHIPS_QUESTION)[-1]
    assert final[LABEL]["visible"] is True
    assert final[DATES] == {"__type__": "update", "visible": True, "value": "2016 ✕"}
    assert final[KIND]["value"] == "comments only ✕" and final[AUTHOR]["visible"] is False
    message = final[CHAT][-1]["content"]
    assert "Filters read from your question" in message and "comments only" in message
    assert assistant.calls[-1]["since"] is None  # the page set no date: the wording did

    # remove "2016": the same question, dates lifted, comments still read from the wording
    steps = _steps(handlers.lifter("dates")(final[ASKED], final[CHAT], final[TURNS],
                                            final[COUNTER], *CONTROLS.values()))
    again = steps[-1]
    call = assistant.calls[-1]
    assert call["question"] == CHIPS_QUESTION and call["history"] == []
    assert (call["since"], call["until"], call["kind"]) == ("", "", None)
    assert again[DATES]["visible"] is False and again[KIND]["visible"] is True
    assert [m["role"] for m in again[CHAT]] == ["user", "assistant"]  # replaced, not added
    assert "pay2014.txt" in again[SOURCES] and "pay2014.txt" not in final[SOURCES]
    assert len(again[TURNS]) == 1 and again[HISTORY][0]["content"] == CHIPS_QUESTION
    assert len(again[HISTORY]) == 2 and again[HISTORY][1]["quotes"]  # cited, for follow-ups
    assert again[ASKED]["lifted"] == ["dates"]

    # then "comments only": both stay lifted
    last = _steps(handlers.lifter("kind")(again[ASKED], again[CHAT], again[TURNS],
                                          again[COUNTER], *CONTROLS.values()))[-1]
    assert (assistant.calls[-1]["since"], assistant.calls[-1]["kind"]) == ("", "all")
    assert last[LABEL]["visible"] is False and "Filters read" not in last[CHAT][-1]["content"]
    assert "post" in last[SOURCES]  # posts are searched again


def test_a_filter_set_in_the_options_panel_wins_and_shows_no_chip(filtered):
    assistant, settings = filtered
    final = _ask(ChatHandlers(assistant, settings), CHIPS_QUESTION, kind="Posts",
                 since="2014-01-01", until="2014-12-31")[-1]
    assert assistant.calls[-1]["kind"] == "post"
    assert final[LABEL]["visible"] is False and final[KIND]["visible"] is False
    assert "Filters read" not in final[CHAT][-1]["content"]


def test_a_new_question_hides_the_last_answers_chips_at_once(filtered):
    assistant, settings = filtered
    steps = _ask(ChatHandlers(assistant, settings), CHIPS_QUESTION)
    assert steps[0][DATES]["visible"] is False  # the first step, before any answer
    lifted = _steps(ChatHandlers(assistant, settings).lift("dates", None, [], [], 0,
                                                           *CONTROLS.values()))
    assert len(lifted) == 1 and assistant.calls[-1]["question"] == CHIPS_QUESTION  # nothing


class _Gap:
    """An assistant whose answer states an honest gap (as the reading stage will)."""

    backend = "extractive"

    def stream(self, question, history=None, **options):
        hits = (hit("The ministry paid the CRCs £23m over the delayed IT gateway.",
                    "Gateway Delays"),)
        yield SourcesEvent(hits, question)
        yield AnswerEvent(Answer(
            question, "The archive doesn't give the system's cost. It says the ministry paid "
            "the CRCs £23m over the delayed IT gateway [1].", False, (), hits, question,
            "extractive", gaps=("the system's cost",)))


def test_a_gap_answer_is_marked_in_the_chat_and_above_the_nearby_passages(hash_index):
    final = _ask(ChatHandlers(_Gap(), hash_index), "How much did nDelius cost?")[-1]
    message = final[CHAT][-1]["content"]
    assert message.startswith('<span class="gap-badge">Not in the archive</span>')
    assert "the system\\'s cost" in message or "the system's cost" in message
    sources = final[SOURCES]
    assert "Nearby passages" in sources and 'class="src-note gap-note"' in sources
    assert sources.index("gap-note") < sources.index("src-card")
