import json
import shutil

import pytest

from benchmarks import crowded

from ..conftest import SHARED

FOLLOW_UP = {"id": "f1", "question": "And what did it cost?", "kind": "followup",
             "gold": [{"source": "corpus/x.txt", "evidence": "cost £23m"}],
             "history": [{"role": "user", "content": "Which IT gateway was delayed?"},
                         {"role": "assistant", "content": "The CRC gateway [1]."}]}
PLAIN = {"id": "p1", "question": "How many probation trusts were split up in June 2014?",
         "kind": "fact", "gold": [{"source": "corpus/002_45fdca6a7285d1d2.txt",
                                   "evidence": "split 35 probation trusts"}]}


def _eval_dir(folder, *, distractors=True):
    folder.mkdir()
    (folder / "dev.jsonl").write_text(json.dumps(PLAIN) + "\n")
    (folder / "dev-hard.jsonl").write_text(json.dumps(FOLLOW_UP) + "\n")
    if distractors:
        shutil.copy(SHARED / "eval" / "make_distractors.py", folder)
    return folder


def test_without_the_evaluation_files_it_says_so_and_exits_0(tmp_path, capsys):
    assert crowded.main(["--eval", str(tmp_path / "nowhere")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("skipped:") and "dev.jsonl" in out and "make_distractors.py" in out


@pytest.mark.parametrize("argv", [["--distractors", "0"], ["--repeat", "0"]])
def test_counts_below_one_are_refused(argv):
    with pytest.raises(SystemExit, match="1 or more"):
        crowded.main(argv)


def test_follow_ups_are_also_searched_with_the_previous_user_turn(tmp_path):
    sets = crowded.question_sets(_eval_dir(tmp_path / "eval", distractors=False))
    assert list(sets) == ["dev", "dev-hard", "dev-hard+prev", "all", "all as written"]
    assert sets["all as written"][1].question == "And what did it cost?"
    assert sets["all as written"][1].history  # searched as asked from its history
    assert sets["dev-hard"][0].question == "And what did it cost?"
    assert sets["dev-hard+prev"][0].question == \
        "And what did it cost? Which IT gateway was delayed?"
    assert [q.id for q in sets["all"]] == ["p1", "f1"]
    assert sets["all"][1].question == sets["dev-hard+prev"][0].question


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "eval" / "make_distractors.py").is_file(),
                    reason="../shared/eval is not in this checkout")
def test_a_small_crowded_run_prints_both_archives(tmp_path, capsys):
    eval_dir = _eval_dir(tmp_path / "eval")
    argv = ["--eval", str(eval_dir), "--cache", str(tmp_path / "cache"), "--distractors", "20",
            "--repeat", "1"]
    assert crowded.main([*argv, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["archive"] for r in rows} == {"bare", "crowded-20"}
    assert {r["mode"] for r in rows} == {"hybrid", "dense", "bm25"}
    plain = next(r for r in rows if r["archive"] == "bare" and r["questions"] == "dev"
                 and r["mode"] == "bm25")
    assert plain["n"] == 1 and plain["recall_at_5"] == 1.0 and plain["p95_ms"] > 0
    asked = [r for r in rows if r["questions"] == "all as asked"]
    assert [r["archive"] for r in asked] == ["bare", "crowded-20"] and asked[0]["n"] == 2
    assert len(list((tmp_path / "cache" / "corpus-20" / "distractors").glob("*.txt"))) == 1
