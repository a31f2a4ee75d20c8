from assistant.answer.compose import cite, render
from assistant.answer.facts import Asked, holds
from assistant.text import stems


def test_stems_match_inflections_and_drop_stopwords():
    assert stems("What did the systems say?") >= stems("system says")
    assert "the" not in stems("the union") and stems("unions") == stems("union")


def test_stems_meet_irregular_past_forms():
    assert stems("Who leads the partnership?") & stems("It is led by Interserve.")
    assert stems("Who wrote it?") & stems("Getafix writes")


def test_holds_wants_the_kind_of_answer_asked_for():
    when = Asked("When did the strike start?", "date")
    assert holds("It began in March 2015.", when) and not holds("It began quietly.", when)
    many = Asked("How many staff left?", "number", ("staff",))
    assert holds("Nearly two hundred staff left.", many)
    assert not holds("Staff left in droves.", many)
    who = Asked("Who leads the partnership?", "person")
    assert holds("It is led by Interserve.", who) and not holds("It is led well.", who)


def test_render_cites_each_sentence_before_its_full_stop():
    text = render([(2, "Pay was frozen."), (1, "Napo balloted members")])
    assert text == "Pay was frozen [2]. Napo balloted members [1]."
    assert cite("Which one?", 3) == "Which one [3]?"
    assert cite("It said: “no”.", 1) == "It said: “no” [1]."
    assert cite("The list:", 4) == "The list [4]."
