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


def layout_paths(text: str) -> list[str]:
    """The files and folders of CONTRIBUTING.md's layout picture, as paths from the repository root
    (indentation says what is inside what)."""
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    paths, parents = [], []  # parents: (indentation, folder)
    for line in block.splitlines():
        if not line.strip() or line.startswith(" " * 10):  # a continued description
            continue
        indent = len(line) - len(line.lstrip())
        parents = [(i, folder) for i, folder in parents if i < indent]
        names = line.strip().split("  ")[0].split()  # several on a line are siblings ("output/ docs/")
        paths += ["/".join([folder for _, folder in parents] + [name.rstrip("/")]) for name in names]
        if len(names) == 1 and names[0].endswith("/"):
            parents.append((indent, names[0].rstrip("/")))
    return paths


def test_the_contributing_layout_names_what_exists():
    paths = layout_paths((ROOT / "CONTRIBUTING.md").read_text())
    assert {"patch_templates/stacks/record.py", "patch_templates/stacks/__init__.py", "tests", "build.py"} <= set(paths)
    assert [path for path in paths if not (ROOT / path).exists()] == []


def test_every_path_and_name_of_the_contributing_recipes_is_true():
    """A backticked path exists (a <name> placeholder: its folder does); a backticked constant or class
    is defined in a Python file its paragraph names."""
    text = (ROOT / "CONTRIBUTING.md").read_text()
    paragraphs = re.split(r"\n\s*\n|\n(?=- )", text.split("## Recipes", 1)[1])
    checked = 0
    for paragraph in paragraphs:
        tokens = re.findall(r"`([^`]+)`", paragraph.replace("\n  ", " "))
        files = [ROOT / token for token in tokens if token.endswith(".py") and "<" not in token]
        for token in tokens:
            if "/" in token or token.endswith((".py", ".md", ".sql")):
                path = (ROOT / token).parent if "<" in token else ROOT / token
                assert path.exists(), token
                checked += 1
            elif re.fullmatch(r"[A-Z][A-Za-z_]*", token):
                pattern = rf"^\s*(?:{token}\b.*=|class {token}\b|def {token}\b|from .* import .*\b{token}\b)"
                assert any(re.search(pattern, file.read_text(), re.M) for file in files), (token, files)
                checked += 1
    assert checked >= 20


def test_every_repository_path_the_written_pages_name_exists():
    """A backticked path into the repository (a <placeholder>: its folder) in the README, CONTRIBUTING.md
    and the hand-written pages of docs/ exists, so moved code and tests are not left behind."""
    generated = {ROOT / "docs" / "parameters.md", ROOT / "docs" / "architecture.md"}
    pages = [page for page in PAGES if page not in generated and page.parent.name != "templates"]
    roots = ("patch_templates/", "tests/", "benchmarks/", "docs/")
    checked = 0
    for page in pages:
        for token in re.findall(
            r"`(?:[^`\s]*\s)*?((?:patch_templates|tests|benchmarks|docs)/[^`\s]*)", page.read_text()
        ):
            path = (ROOT / token).parent if "<" in token or "*" in token else ROOT / token.rstrip(".,:;)")
            assert token.startswith(roots) and path.exists(), f"{page.relative_to(ROOT)}: {token}"
            checked += 1
    assert checked > 30
