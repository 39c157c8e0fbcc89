"""`make contract-diff` on the project's own history, and on deliberate edits.

The history: 0.1.0's `GET /specs/{document}` changed in 23724b5 with the version still
0.1.0; d87349b added GET /presence, typing, delivery and presence events and their
schemas with the version still 0.2.0; CHANGELOG 0.2.0 lists the 404 -> 422 change and
the text patterns as breaking. The gate must see all of it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tools.contract_diff.gate import ROOT, Verdict, assess, changelog_entry
from tools.contract_diff.releases import git_show, releases, specs_at
from tools.specs import DuplicateKey

CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
# The deliberate edits start from the last release, whichever it is.
CURRENT = releases()[-1].version
_MAJOR, _MINOR, _PATCH = (int(part) for part in CURRENT.split("."))
NEXT_MINOR = f"{_MAJOR}.{_MINOR + 1}.0"
NEXT_PATCH = f"{_MAJOR}.{_MINOR}.{_PATCH + 1}"


def judge(base: str, head: str, tmp_path: Path, changelog: str | None = None) -> Verdict:
    old, new = specs_at(base, tmp_path / "base"), specs_at(head, tmp_path / "head")
    return assess(
        old,
        new,
        git_show(head, "CHANGELOG.md", missing_ok=True) if changelog is None else changelog,
    )


def found(verdict: Verdict, where: str, *, breaking: bool) -> list[str]:
    return [f.message for f in verdict.findings if f.where == where and f.breaking == breaking]


def test_the_unlogged_change_of_get_specs_under_0_1_0_is_caught(tmp_path: Path) -> None:
    verdict = judge("395f9e3", "23724b5", tmp_path)

    assert not verdict.passed
    assert any("version is still 0.1.0" in problem for problem in verdict.problems)
    optic = [
        f for f in verdict.breaking if f.source == "optic" and f.where == "GET /specs/{document}"
    ]
    assert optic, verdict.findings


def test_the_unversioned_additions_under_0_2_0_are_caught(tmp_path: Path) -> None:
    verdict = judge("bdaba4b", "d87349b", tmp_path)
    added_schemas = {
        f.where.rsplit("/", 1)[-1] for f in verdict.findings if f.message == "schema added"
    }
    added = {f.where for f in verdict.findings if f.message in ("operation added", "add")}

    assert not verdict.passed
    assert any("version is still 0.2.0" in problem for problem in verdict.problems)
    assert "GET /presence" in added
    assert {"/operations/typing", "/operations/markDelivered", "/operations/sendTyping"} <= added
    assert {"/operations/sendMessageDelivered", "/operations/sendUserOnline"} <= added
    assert {"PresenceList", "TypingRequest", "TypingEvent", "MarkDeliveredRequest"} <= added_schemas
    assert len(added_schemas) == 9


def test_what_changelog_0_2_0_calls_breaking_is_breaking(tmp_path: Path) -> None:
    verdict = judge("395f9e3", "bdaba4b", tmp_path, changelog=CHANGELOG)
    defs = "schemas.yaml#/$defs/"

    # Ids in bodies that name nothing: 404 -> 422, said in the operations' descriptions.
    for operation in (
        "POST /conversations",
        "POST /conversations/{conversation_id}/participants",
        "POST /conversations/{conversation_id}/read",
    ):
        assert found(verdict, operation, breaking=True), operation
    # The "not blank" patterns name their characters instead of \s.
    for field in (
        "RegisterRequest/properties/display_name/pattern",
        "SendMessageRequest/properties/body/pattern",
        "UpdateConversationRequest/properties/title/pattern",
    ):
        assert found(verdict, defs + field, breaking=True), field
    # Acknowledged: 0.2.0 is a minor bump with an entry marked Breaking (as amended).
    assert verdict.passed, verdict.problems


def test_main_keeps_its_last_release(tmp_path: Path) -> None:
    last = releases()[-1]
    verdict = assess(specs_at(last.commit, tmp_path / "base"), ROOT / "specs", CHANGELOG)

    assert verdict.passed, verdict.problems


def test_each_release_is_the_version_it_names_and_has_its_entry() -> None:
    listed = releases()
    numbers = [tuple(int(p) for p in release.version.split(".")) for release in listed]

    assert numbers == sorted(numbers)
    for release in listed:
        spec = yaml.safe_load(git_show(release.commit, "specs/openapi.yaml"))
        assert spec["info"]["version"] == release.version
        assert changelog_entry(CHANGELOG, release.version), release.version


def _with_entry(version: str, entry: str) -> str:
    """CHANGELOG.md with a new entry on top, where a developer writes it."""
    return CHANGELOG.replace(f"\n## {CURRENT}\n", f"\n## {version}\n\n{entry}\n\n## {CURRENT}\n", 1)


def _edited(tmp_path: Path, version: str | None = None) -> Path:
    """specs/ with Message's `seq` gone: what the server sends loses a field."""
    head = tmp_path / "head"
    shutil.copytree(ROOT / "specs", head)
    schemas = (head / "schemas.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(schemas)
    del document["$defs"]["Message"]["properties"]["seq"]
    document["$defs"]["Message"]["required"].remove("seq")
    (head / "schemas.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    if version is not None:
        for name in ("openapi.yaml", "asyncapi.yaml"):
            text = (head / name).read_text(encoding="utf-8")
            (head / name).write_text(
                text.replace(f"  version: {CURRENT}", f"  version: {version}", 1)
            )
    return head


@pytest.mark.parametrize(
    ("version", "entry", "problem"),
    [
        (None, None, f"version is still {CURRENT}"),
        (NEXT_MINOR, None, f"no entry `## {NEXT_MINOR}`"),
        (NEXT_MINOR, "- Changed: `Message` has no `seq`.", "marks none **Breaking**"),
        (NEXT_PATCH, "- **Breaking**: `Message` has no `seq`.", "need a minor version bump"),
    ],
)
def test_a_breaking_edit_fails_until_acknowledged(
    tmp_path: Path, version: str | None, entry: str | None, problem: str
) -> None:
    head = _edited(tmp_path, version)
    changelog = CHANGELOG if entry is None or version is None else _with_entry(version, entry)

    verdict = assess(specs_at(releases()[-1].commit, tmp_path / "base"), head, changelog)

    assert not verdict.passed
    assert any(problem in p for p in verdict.problems), verdict.problems
    assert found(verdict, "schemas.yaml#/$defs/Message/properties/seq", breaking=True)


def test_a_breaking_edit_passes_with_a_minor_bump_and_a_breaking_entry(tmp_path: Path) -> None:
    head = _edited(tmp_path, NEXT_MINOR)
    changelog = _with_entry(NEXT_MINOR, "- **Breaking**: `Message` has no `seq`.")

    verdict = assess(specs_at(releases()[-1].commit, tmp_path / "base"), head, changelog)

    assert verdict.passed, verdict.problems


def test_an_additive_edit_needs_a_bump_and_an_entry_but_no_breaking_mark(tmp_path: Path) -> None:
    """A new optional field of what the server sends: safe for clients generated from
    the last release, whose schemas are open. The version edit itself must not count as
    breaking."""
    head = tmp_path / "head"
    shutil.copytree(ROOT / "specs", head)
    document = yaml.safe_load((head / "schemas.yaml").read_text(encoding="utf-8"))
    document["$defs"]["Message"]["properties"]["edited_at"] = {
        "description": "When the body last changed, if it did.",
        "type": ["string", "null"],
        "format": "date-time",
    }
    (head / "schemas.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    base = specs_at(releases()[-1].commit, tmp_path / "base")

    unversioned = assess(base, head, CHANGELOG)
    for name in ("openapi.yaml", "asyncapi.yaml"):
        text = (head / name).read_text(encoding="utf-8")
        (head / name).write_text(
            text.replace(f"  version: {CURRENT}", f"  version: {NEXT_PATCH}", 1)
        )
    acknowledged = assess(base, head, _with_entry(NEXT_PATCH, "- Added: `Message.edited_at`."))

    assert not unversioned.passed
    assert acknowledged.passed, (acknowledged.problems, acknowledged.breaking)
    assert acknowledged.breaking == []


def _text_edited(tmp_path: Path, version: str, *edits: tuple[str, str, str]) -> Path:
    """specs/ with text edits (document, old, new) made as a reviewer makes them, and
    the version set in both specs."""
    head = tmp_path / "head"
    shutil.copytree(ROOT / "specs", head)
    for name, old, new in (
        *edits,
        ("openapi.yaml", f"  version: {CURRENT}", f"  version: {version}"),
        ("asyncapi.yaml", f"  version: {CURRENT}", f"  version: {version}"),
    ):
        text = (head / name).read_text(encoding="utf-8")
        assert old in text, (name, old)
        (head / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return head


def _judged(tmp_path: Path, head: Path, version: str, entry: str) -> Verdict:
    return assess(
        specs_at(releases()[-1].commit, tmp_path / "base"), head, _with_entry(version, entry)
    )


BEARER = "    bearerAuth:\n      type: http\n      scheme: bearer\n      bearerFormat: JWT\n"
API_KEY = "    bearerAuth:\n      type: apiKey\n      in: header\n      name: X-Token\n"


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (("openapi.yaml", BEARER, API_KEY), "openapi.yaml securitySchemes bearerAuth"),
        (
            (
                "openapi.yaml",
                "        minimum: 1\n        maximum: 200\n",
                "        minimum: 1\n        maximum: 50\n",
            ),
            "GET /users query parameter limit",
        ),
        (
            (
                "openapi.yaml",
                "            minimum: 0\n            maximum: 9007199254740991\n",
                "            minimum: 10\n            maximum: 9007199254740991\n",
            ),
            "GET /users query parameter after",
        ),
        (
            ("openapi.yaml", "            maxLength: 128\n", "            maxLength: 16\n"),
            "GET /conversations query parameter cursor",
        ),
    ],
)
def test_a_changed_scheme_or_a_narrowed_parameter_is_breaking(
    tmp_path: Path, edit: tuple[str, str, str], where: str
) -> None:
    head = _text_edited(tmp_path, NEXT_PATCH, edit)

    plain = _judged(tmp_path, head, NEXT_PATCH, "- Changed: a parameter.")

    assert not plain.passed
    assert any(f.breaking and f.where.startswith(where) for f in plain.findings), [
        (f.where, f.message) for f in plain.findings
    ]


def test_a_wording_only_edit_needs_no_breaking_mark_when_the_entry_says_so(
    tmp_path: Path,
) -> None:
    typo = (
        "openapi.yaml",
        "Exchanges a username and password",
        "Exchanges a user name and password",
    )
    head = _text_edited(tmp_path, NEXT_PATCH, typo)

    unmarked = _judged(tmp_path, head, NEXT_PATCH, "- Changed: a typo in login's description.")
    marked = _judged(
        tmp_path, head, NEXT_PATCH, "- Wording only: `POST /auth/login` (a typo fixed)."
    )
    elsewhere = _judged(tmp_path, head, NEXT_PATCH, "- Wording only: `GET /me`.")

    assert not unmarked.passed
    assert marked.passed, marked.problems
    assert marked.breaking == []
    assert not elsewhere.passed  # the marker names the operation it vouches for


def test_a_key_given_twice_in_a_spec_is_refused(tmp_path: Path) -> None:
    twice = (
        "openapi.yaml",
        "      bearerFormat: JWT\n",
        "      bearerFormat: JWT\n      scheme: basic\n",
    )
    head = _text_edited(tmp_path, NEXT_PATCH, twice)

    with pytest.raises(DuplicateKey, match="'scheme' is given twice"):
        _judged(tmp_path, head, NEXT_PATCH, "- Changed: nothing, surely.")
