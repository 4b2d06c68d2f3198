"""The written documentation: a README a person reads in minutes, links that resolve, one step
numbering, and no reference to a document the reader does not have."""

import re
from pathlib import Path

from patch_templates.stacks import RECORDS

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def prose(text: str) -> str:
    """The text without fenced code blocks and inline code, where brackets are not links."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation other than - and _ dropped, spaces to -."""
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)
    headings = re.findall(r"^#{1,6} (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def relative_links(page: Path) -> list[str]:
    return [target for target in LINK.findall(prose(page.read_text())) if not re.match(r"[a-z]+:", target)]


def test_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250


def test_every_relative_link_resolves_to_a_file_and_anchor():
    checked = 0
    for page in PAGES:
        for target in relative_links(page):
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            assert resolved.exists(), f"{page.relative_to(ROOT)}: {target} does not exist"
            if anchor:
                assert anchor in anchors(resolved), f"{page.relative_to(ROOT)}: {target}: no heading #{anchor}"
            checked += 1
    assert checked > 40


def test_anchor_rules_follow_github():
    page = ROOT / "docs" / "reference.md"
    assert "step-1-collector-account-resourcedatasync_s3bucket_bucketpolicyyml" in anchors(page)
    assert "troubleshooting" in anchors(page)


def test_no_reference_to_a_design_document():
    for page in PAGES:
        text = page.read_text().lower()
        assert "design document" not in text and "the design's" not in text, page


def test_readme_steps_match_the_generated_pages():
    """One numbering: the README's table gives each template the step its record gives it."""
    section = (ROOT / "README.md").read_text().split("## How it fits together", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d) \| [^|]+ \| ([^|]+) \|", section, re.M)
    assert [step for step, _ in rows] == ["0", "1", "2", "3", "3", "4", "5", "6"]
    steps = {record.file: record.step for record in RECORDS}
    found = 0
    for step, files in rows:
        for name in re.findall(r"`([^`]+)`", files):
            if name in steps:
                assert int(step) == steps[name], name
                found += 1
    assert found >= 4
