"""The operator's path through the written pages: one name per stack (its record's), parameter copies
that stay out of git, and the "How do I" commands naming targets, variables and files that exist."""

import re
import shutil
import subprocess
from pathlib import Path

from patch_templates.parts import baselines
from patch_templates.stacks import RECORDS, compliance_reports
from patch_templates.stacks.record import BY_NAME

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
STACK_NAME = re.compile(r"(?:STACK=|--stack-name )([A-Za-z][-A-Za-z0-9]*)")
MAKEFILE = (ROOT / "Makefile").read_text()


def code(text: str) -> list[str]:
    """The lines of the fenced code blocks (continued lines joined) and the inline code of a page."""
    fenced = re.compile(r"^```.*?^```", re.S | re.M)
    blocks = "\n".join(fenced.findall(text)).replace("\\\n", " ")
    return [line.strip() for line in blocks.splitlines()] + re.findall(r"`([^`\n]+)`", fenced.sub("", text))


def make_commands(text: str) -> list[list[str]]:
    """The words of each command of a page's code that starts with make (without its comment)."""
    return [line.split("#")[0].split() for line in code(text) if line.startswith("make ")]


def test_every_stack_name_in_the_pages_and_the_makefile_is_a_record_name():
    names = {record.stack for record in RECORDS}
    found = set()
    for page in [*PAGES, ROOT / "Makefile"]:
        for name in STACK_NAME.findall(page.read_text()):
            assert name in names | {"my-stack", "s"}, f"{page.relative_to(ROOT)}: stack {name} is no record's"
            found.add(name)
    deployed_by_name = {record.stack for record in RECORDS if record.account in BY_NAME}
    assert deployed_by_name <= found


def test_the_readme_deploys_each_step_under_its_record_name():
    readme = (ROOT / "README.md").read_text()
    for record in RECORDS:
        for command in make_commands(readme):
            if f"TEMPLATE=output/{record.file}" in command:
                assert f"STACK={record.stack}" in command, command


def test_the_walkthrough_copies_leave_git_status_clean(tmp_path):
    """The README's mkdir and cp lines, run in a repository holding its .gitignore and the example files."""
    readme = (ROOT / "README.md").read_text()
    lines = [line.split("#")[0] for line in code(readme) if re.match(r"(mkdir|cp) ", line)]
    assert len([line for line in lines if line.startswith("cp ")]) >= 6
    assert all(line.split()[-1].startswith("params/") for line in lines if line.startswith("cp "))
    shutil.copytree(ROOT / "output" / "parameters", tmp_path / "output" / "parameters")
    shutil.copy(ROOT / ".gitignore", tmp_path)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "clone"], cwd=tmp_path, check=True)
    subprocess.run(["bash", "-ec", "\n".join(lines)], cwd=tmp_path, check=True)
    assert len(list((tmp_path / "params").iterdir())) >= 6
    status = subprocess.run(["git", "status", "--porcelain"], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert status.stdout == ""


def test_the_docs_index_starts_with_how_do_i_and_answers_each_task():
    index = (ROOT / "docs" / "README.md").read_text()
    first = re.search(r"^## (.+)$", index, re.M)
    assert first and first.group(1).startswith("How do I")
    tasks = index.split("\n## ", 2)[1]
    for task in (
        "add an operating system",
        "change the schedule",
        "add an account or an OU",
        "move an account between waves",
        "see why a node is non-compliant",
        "patch now",
        "tear down",
        "upgrade from the previous release",
    ):
        assert re.search(rf"^- \*\*{task}[^*]*\*\*.*\]\(", tasks, re.M | re.I), task


def test_every_make_command_in_the_pages_names_a_target_and_variables_that_exist():
    targets = set(re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.M))
    variables = set(re.findall(r"^([A-Z_]+) *[?:]?=", MAKEFILE, re.M)) | set(
        " ".join(re.findall(r"^[A-Z_]+_VARIABLES := (.+)$", MAKEFILE.replace("\\\n\t", " "), re.M)).split()
    )
    checked = 0
    for page in PAGES:
        for words in make_commands(page.read_text()):
            for word in words[1:]:
                if word in ("-n", "--dry-run") or word.startswith("<"):
                    continue
                if "=" in word:
                    assert word.split("=")[0] in variables, f"{page.relative_to(ROOT)}: {' '.join(words)}"
                    value = word.split("=", 1)[1]
                    if value.startswith("output/"):
                        assert (ROOT / value).exists(), f"{page.relative_to(ROOT)}: {value}"
                elif re.fullmatch(r"[a-z][a-z-]*", word):
                    assert word in targets, f"{page.relative_to(ROOT)}: make {word}"
                checked += 1
    assert checked > 50


WRITTEN = [
    page
    for page in PAGES
    if page.parent.name != "templates" and page.name not in ("parameters.md", "architecture.md", "limits.md")
]
NUMBERS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split()


def test_counts_the_written_pages_give_are_the_code_s():
    readme = (ROOT / "README.md").read_text()
    reports = NUMBERS[len(compliance_reports.REPORTS)]
    assert re.findall(r"(\w+) saved\s+Athena reports", readme) == [reports]
    assert re.findall(r"check: (\w+) query ids", readme) == [reports]
    systems = len(baselines.OPERATING_SYSTEMS)
    assert re.findall(r"Covered: (\d+)\s+of", readme) == [str(systems)]
    assert re.findall(r"The (\d+) operating systems", (ROOT / "docs" / "README.md").read_text()) == [str(systems)]


def test_a_size_a_written_page_gives_for_a_built_template_is_its_size():
    """Sizes belong to docs/limits.md (generated); one typed beside a template's name must be true."""
    sizes = {path.name: path.stat().st_size for path in (ROOT / "output").glob("*.y*ml")}
    for page in WRITTEN:
        for line in page.read_text().splitlines():
            named = [name for name in re.findall(r"([a-z0-9_]+\.ya?ml)", line) if name in sizes]
            for figure in re.findall(r"(\d[\d,]{3,}) bytes", line):
                if named and int(figure.replace(",", "")) not in (51_200, 46_080, 4_096):  # limits, not sizes
                    assert int(figure.replace(",", "")) in [sizes[n] for n in named], (page.name, line)


def test_every_constant_a_written_page_names_beside_a_module_is_defined_in_the_package():
    """In a paragraph that names a Python file of this repository, a backticked UPPER_CASE name
    (OPERATING_SYSTEMS, REPORTS, ...) is assigned in patch_templates/ or tests/, so a renamed one is
    not left behind."""
    sources = "\n".join(
        path.read_text() for path in [*ROOT.glob("patch_templates/**/*.py"), *ROOT.glob("tests/**/*.py")]
    )
    checked = 0
    for page in WRITTEN:
        for paragraph in re.split(r"\n\s*\n", page.read_text()):
            if not re.search(r"`[\w/]+\.py`", paragraph):
                continue
            for name in set(re.findall(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})`", paragraph)):
                if f'"{name}"' in sources:
                    continue  # an AWS value the code passes (an operating system), not a constant
                assert re.search(rf"^\s*{name}\b[^=\n]*=", sources, re.M), f"{page.relative_to(ROOT)}: {name}"
                checked += 1
    assert checked >= 5


def test_pages_and_comments_cite_only_public_sources_and_this_repository():
    """No issue number but a public repository's (owner/name or project-name issue N), no path out of
    the repository, no document a reader does not have."""
    private = re.compile(r"\.\./shared|AWS-FACTS|DESIGN\.md|the design's", re.I)
    files = [*PAGES, *ROOT.glob("patch_templates/**/*.py"), *ROOT.glob("patch_templates/**/*.sql"), ROOT / "Makefile"]
    found = []
    for path in files:
        text = path.read_text()
        found += [f"{path.relative_to(ROOT)}: {match}" for match in private.findall(text)]
        found += [
            f"{path.relative_to(ROOT)}: {where} {issue}"
            for where, issue in re.findall(r"(\S*)\s+(issues? #?\d+)", text, re.I)
            if not re.search(r"[\w.]+[/-][\w.-]+", where)
        ]
    assert found == []
