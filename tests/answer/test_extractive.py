from assistant.answer.extractive import ExtractedSentence, answer_type_bonus, render
from assistant.text import stems


def test_stems_match_inflections_and_drop_stopwords():
    assert stems("What did the systems say?") >= stems("system says")
    assert "the" not in stems("the union") and stems("unions") == stems("union")


def test_stems_meet_irregular_past_forms():
    assert stems("Who leads the partnership?") & stems("It is led by Interserve.")
    assert stems("Who wrote it?") & stems("Getafix writes")


def test_answer_type_bonus_wants_the_kind_of_answer_asked_for():
    assert answer_type_bonus("When did the strike start?", "It began in March 2015.") > 0
    assert answer_type_bonus("When did the strike start?", "It began quietly.") == 0
    assert answer_type_bonus("How many staff left?", "Nearly half of them left.") > 0
    assert answer_type_bonus("Who leads the partnership?", "It is led by Interserve.") > 0


def test_render_cites_each_sentence():
    text = render([ExtractedSentence(2, "Pay was frozen.", 1.0),
                   ExtractedSentence(1, "Napo balloted members.", 0.9)])
    assert "Pay was frozen. [2]" in text or "Pay was frozen [2]." in text
    assert "[1]" in text
