"""Sign-offs: sections of a post attributed to the writer who signed them."""

from __future__ import annotations

from assistant.ingest import signed_sections
from assistant.records import Post
from tests.ingest.shipped import load_shipped

# --------------------------------------------------------------------------- signed sections


def test_shipped_sign_offs_attribute_their_sections() -> None:
    signed = {}
    for name in ("000", "001", "002", "003", "004"):
        for post in load_shipped(name):
            for text, signer in signed_sections(post):
                if signer:
                    signed[(post.title, signer)] = text
    assert set(signed) == {
        ("What Probation Could Look Like", "Russell Webster"),
        ("Probation Worries For Voluntary Sector", "Jessica Mullen"),
        ("Napo at Work in the South West 6", "Ian Lawrence"),
        ("How We Got Here", "David Raho"),
        # the name, then its role on the same line: "Dino Peros SSW Napo Branch Chair"
        ("Napo at Work in the South West 7", "Dino Peros"),
    }
    raho = signed[("How We Got Here", "David Raho")]
    assert raho.rstrip().endswith("David Raho")
    assert "Privatisation of the probation service in England and Wales" in raho
    # a name over its role line: "Ian Lawrence / Napo General Secretary"
    assert signed[("Napo at Work in the South West 6", "Ian Lawrence")].endswith(
        "Napo General Secretary")


def test_a_role_on_the_name_line_is_left_out_but_a_title_is_no_sign_off() -> None:
    prose = "We met the employer again this week about the offer and its terms. " * 6
    def signer(last: str) -> list[str | None]:
        post = Post(source="x.txt", title="t", date=None, body=f"{prose}\n\n{last}\n\nMore.")
        return [s for _, s in signed_sections(post)]

    assert signer("Dino Peros South West NAPO Branch Chair JNCC Rep.") == ["Dino Peros", None]
    assert signer("Jane Smith Branch Secretary") == ["Jane Smith", None]
    # capitalised words with no acronym or role noun: a heading, not a name and a role
    assert signer("Working Together Across Regions") == [None]
    assert signer("Jane Smith Said Something Long") == [None]


def test_text_after_the_last_sign_off_keeps_the_post_author() -> None:
    (how,) = [p for p in load_shipped("002") if p.title == "How We Got Here"]
    sections = signed_sections(how)
    assert [s for _, s in sections] == ["David Raho", None]
    assert sections[1][0].startswith('"Cameron gave Grayling')
    assert "".join(t for t, _ in sections).replace("\n", "") == how.body.replace("\n", "")


def test_headings_salutations_and_short_openers_are_not_sign_offs() -> None:
    prose = "The unions do not believe that steps should be taken to reduce jobs. " * 8
    body = (f"{prose}\n\nJustice News Extra\nTransformation Update\n\n"
            "The justice update is the news for staff, with extra detail.\n\n"
            f"Dear John\n\n{prose}\n\nAs we said:\n\nKind Regards")
    post = Post(source="x.txt", title="T", body=body)
    assert [s for _, s in signed_sections(post)] == [None]
    # a name straight after the title, with no prose before it, opens rather than closes
    post = Post(source="x.txt", title="T", body=f"Mark Smith\n\n{prose}")
    assert [s for _, s in signed_sections(post)] == [None]


def test_a_markdown_author_is_kept_for_unsigned_text() -> None:
    prose = "Probation staff told the inspectors about caseloads and sickness rates. " * 8
    post = Post(source="x.md", title="T", body=f"{prose}\n\nJane Doe\nGuest writer\n\nMore.",
                author="Editor")
    assert [s for _, s in signed_sections(post)] == ["Jane Doe", "Editor"]
