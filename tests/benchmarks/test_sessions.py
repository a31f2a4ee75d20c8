"""The load / cross-talk / fresh-version rows of the trust harness (``benchmarks.sessions``):
the quick rows against real servers, and the classification that decides them."""

from __future__ import annotations

import pytest

from benchmarks import sessions
from benchmarks.canaries import (
    BACKGROUND,
    CANARIES,
    FRESH,
    Session,
    classify,
    session_problems,
    write_corpus,
)
from benchmarks.chats import Reply, door_of, page_chat_calls
from benchmarks.fresh import Burst, Probe, fresh_results

OWN, OTHER = CANARIES[3], CANARIES[11]


def _reply(**fields) -> Reply:
    """A clean first-turn reply of session 3, changed by ``fields``."""
    clean = {"answer": f"Members of the {OWN.org} greet each other with the codeword "
                       f"{OWN.code} [1].", "cited": (OWN.source,),
             "seen": f'event: sources\ndata: {{"text": "{OWN.post()[:60]}"}}'}
    return Reply(**{**clean, **fields})


def _kinds(reply: Reply, facts=(OWN.code,)) -> list[str]:
    return [kind for kind, _ in classify(reply, OWN, CANARIES, facts)]


def test_a_clean_reply_has_no_problem():
    assert classify(_reply(), OWN, CANARIES, (OWN.code,)) == []


@pytest.mark.parametrize("where", ["answer", "seen"])
def test_another_sessions_codeword_anywhere_is_cross_talk(where):
    base = getattr(_reply(), where)
    problems = classify(_reply(**{where: f"{base} chunk: {OTHER.code.lower()}"}), OWN,
                        CANARIES, (OWN.code,))
    assert ("cross-talk", f"session {OTHER.session}'s {OTHER.code!r}") in problems


def test_another_sessions_organisation_in_returned_state_is_cross_talk():
    # the page returns the whole chat: a turn of another session in it is cross-talk
    state = f'[{{"role": "user", "content": "What codeword do members of the {OTHER.org} use?"}}]'
    assert _kinds(_reply(seen=state)) == ["cross-talk"]


def test_a_missing_own_canary_or_fact_is_a_failure():
    assert _kinds(_reply(answer="The archive does not say.")) == ["wrong"]
    assert _kinds(_reply(), facts=(OWN.code, str(OWN.founded))) == ["wrong"]


def test_citing_another_post_or_none_is_a_failure():
    assert _kinds(_reply(cited=(OWN.source, "background1.txt"))) == ["wrong"]
    assert _kinds(_reply(cited=())) == ["wrong"]


def test_a_load_error_is_only_an_error():
    assert _kinds(Reply(error="HTTP 500: internal error")) == ["error"]


def test_the_follow_up_must_carry_the_founding_year():
    first = _reply()
    follow = _reply(answer=f"The {OWN.org}, codeword {OWN.code}, was founded in "
                           f"{OWN.founded} in {OWN.town} [1].")
    assert session_problems([first, follow], OWN) == []
    assert [(n, k) for n, k, _ in session_problems([first, first], OWN)] == [(2, "wrong")]
    assert not Session(OWN, "REST", (first, follow)).problems()


def test_canaries_are_unique_to_their_post():
    """No post names another's canary, so a foreign mark can only come from another session."""
    texts = {c.source: c.post().lower() for c in (*CANARIES, FRESH)}
    texts.update({name: text.lower() for name, text in BACKGROUND.items()})
    for canary in (*CANARIES, FRESH):
        for mark in canary.marks:
            assert [s for s, t in texts.items() if mark.lower() in t] == [canary.source]


def test_doors_split_eight_six_six():
    doors = [door_of(i, 20) for i in range(20)]
    assert (doors.count("REST"), doors.count("/v1"), doors.count("page")) == (8, 6, 6)
    assert {door_of(i, 10) for i in range(10)} == {"REST", "/v1", "page"}


def _burst(probes: list[Probe]) -> Burst:
    burst = Burst()
    burst.probes = probes
    burst.first_new = {}
    for p in probes:
        if p.new:
            burst.first_new.setdefault(p.server, p.done)
    return burst


def _probes(server: str, new_at: float, **changes) -> list[Probe]:
    """Searches every 0.1 s from t=0 to t=3, new from ``new_at``; ``changes`` replace one."""
    probes = [Probe(server, t / 10, t / 10 + 0.05, True, t / 10 >= new_at) for t in range(30)]
    if changes:
        probes[25] = Probe(server, 2.5, 2.55, **changes)
    return probes


def _fresh(rest: list[Probe], page: list[Probe], published: float = 1.0, why: str = ""):
    burst = _burst(rest + page)
    window = (0.9, max(burst.first_new.values(), default=3.0))
    return {f.server: f for f in fresh_results(burst, [], window, published, why)}


def test_a_clean_swap_holds_and_is_timed():
    fresh = _fresh(_probes("REST", 1.5), _probes("page", 2.0))
    assert not fresh["REST"].problems and not fresh["page"].problems
    assert fresh["REST"].seconds == pytest.approx(0.55)
    assert fresh["page"].searches > 0 and fresh["page"].failed == 0


def test_a_failed_search_a_stale_answer_or_a_slow_swap_fails_the_server():
    fresh = _fresh(_probes("REST", 1.5, ok=False, new=False, error="ReadTimeout"),
                   _probes("page", 1.5, ok=True, new=False))
    assert fresh["REST"].failed == 1 and "ReadTimeout" in fresh["REST"].problems[0]
    assert "old version after the new" in fresh["page"].problems[0]
    slow = _fresh(_probes("REST", 1.5), _probes("page", 2.0), published=-20.0)
    assert all("took" in f.problems[0] for f in slow.values())


def test_a_server_that_never_swaps_or_a_failed_build_fails():
    fresh = _fresh(_probes("REST", 99), _probes("page", 1.5))
    assert fresh["REST"].seconds is None and fresh["REST"].problems
    broken = _fresh(_probes("REST", 99), _probes("page", 99), why="index exited 2: boom")
    assert all(f.problems[0] == "index exited 2: boom" for f in broken.values())


def test_the_page_chat_calls_are_found_in_the_page(tmp_path):
    """The page's wiring that ``PageChat`` drives: the box's submit, then ``respond`` with the
    chat, the passages slider (k=1) and the other options' defaults."""
    from assistant import Settings, build_index
    from assistant.embed.fake import FakeEmbedder
    from assistant.ui.page import build_app
    from tests.ui.helpers import FakeAssistant, retriever

    corpus = write_corpus(tmp_path / "corpus")
    settings = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index",
                                 embedding_model=FakeEmbedder.model_id)
    build_index(corpus, settings.index_dir, settings=settings, embedder=FakeEmbedder())
    demo = build_app(FakeAssistant(retriever(settings)), settings)
    add, respond, controls = page_chat_calls(demo.config)
    deps = {d["id"]: d for d in demo.config["dependencies"]}
    assert deps[add]["api_name"] == "add_user" and deps[respond]["api_name"] == "respond"
    assert controls[0] == 1 and "Extractive" in controls


@pytest.mark.server
def test_quick_rows_hold():
    rows = sessions.checks(quick=True)
    for row in rows:
        print(f"\n{row.part}: {row.passed}/{row.trials} {row.figure}")
    assert [row.part for row in rows] == ["concurrent sessions", "fresh version under load"]
    assert rows[0].trials == len(CANARIES)
    assert all(row.ok for row in rows), [row.failures for row in rows]
