"""The preflight never breaks: every parameter file it is given, however odd, is either accepted as
CloudFormation would accept it or refused in a few lines naming the file, the key and the fix, with
exit status 1 and never a Python traceback. Values are read as CloudFormation reads them (Java's
ASCII \\w and \\d, whole numbers, 4,096 bytes, one line), the template's Rules are evaluated, and a
property-based fuzz test feeds it generated files."""

import codecs
import functools
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import own_values
from hypothesis import HealthCheck, given, settings, strategies as st

from patch_templates.deploy import preflight
from patch_templates.stacks import RECORDS, central_alerts, collector, default_host_management, stackset

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [record.file for record in RECORDS]
COLLECTOR, STACKSETS, CENTRAL = collector.RECORD.file, stackset.RECORD.file, central_alerts.RECORD.file
MAX_LINES = 1 + preflight.SHOWN_PROBLEMS + 1  # "refused, nothing was run:", the problems, "... and N more"


def own(name: str) -> dict[str, str]:
    """The template's example values, each placeholder replaced by a value of one's own."""
    return {p["ParameterKey"]: p["ParameterValue"] for p in own_values(name)}


# The bucket the StackSet template's own values name for its members (the same as ARTIFACTS_BUCKET).
BUCKET = f"--ARTIFACTS_BUCKET={own(STACKSETS)['pTemplateBucketName']}"


def entries(values: dict[str, str]) -> list[dict]:
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()]


def preflight_run(params: str, name: str = COLLECTOR, *extra: str) -> subprocess.CompletedProcess:
    """The preflight as make runs it, printing to an ASCII-only terminal (the hardest to print to)."""
    return subprocess.run(
        [sys.executable, "-S", "-m", "patch_templates.deploy.preflight", "check", "deploy", "--STACK=s"]
        + [f"--TEMPLATE=output/{name}", f"--PARAMS={params}", *extra],
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        capture_output=True,
        text=True,
        timeout=30,
    )


def assert_refused(result: subprocess.CompletedProcess, params: str, *expected: str) -> None:
    assert result.returncode == 1 and result.stdout == "", result
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "refused, nothing was run:" and len(lines) <= MAX_LINES, result.stderr
    assert params in result.stderr, result.stderr  # the file is named
    for text in expected:
        assert text in result.stderr, (text, result.stderr)


GOOD = own(COLLECTOR)
DAYS = "pNoncurrentVersionExpirationDays"  # a Number of days, 1-3650


def as_json(values: dict[str, str]) -> bytes:
    return json.dumps(entries(values)).encode()


EXAMPLE = "output/parameters/resourcedatasync_s3bucket_bucketpolicy.json"
SHAPE = f"it should hold a JSON list {preflight.SHAPE}, as {EXAMPLE} does"
BAD_FILES = {
    "nesting depth 2,000": (b"[" * 2000 + b"]" * 2000, ["nested too deeply for a parameter file", SHAPE]),
    "UTF-16 with a byte order mark": (
        json.dumps(entries(GOOD)).encode("utf-16"),
        ["saved as UTF-16; save it as UTF-8"],
    ),
    "UTF-32": (json.dumps(entries(GOOD)).encode("utf-32"), ["saved as UTF-32; save it as UTF-8"]),
    "UTF-16 without a byte order mark": (
        json.dumps(entries(GOOD)).encode("utf-16-le"),
        ["holds NUL bytes (UTF-16 or UTF-32 text, or not text at all); save it as UTF-8 text"],
    ),
    "Latin-1": (
        json.dumps(entries(dict(GOOD, pSyncName="inventaire-été")), ensure_ascii=False).encode("latin-1"),
        ["not UTF-8 text (byte 0xe9 at offset", "perhaps Latin-1); save it as UTF-8"],
    ),
    "invalid UTF-8": (b'[{"ParameterKey": "pSyncName", "ParameterValue": "\xc3\x28"}]', ["not UTF-8 text (byte 0xc3"]),
    "a lone surrogate": (
        as_json(GOOD).replace(b'"inventory-sync"', b'"inventory\\ud800"'),
        ["pSyncName is refused: it holds '\\ud800', a control character or broken Unicode"],
    ),
    "a NUL character": (
        as_json(GOOD).replace(b'"inventory-sync"', b'"inventory\\u0000sync"'),
        ["pSyncName is refused: it holds '\\x00', a control character"],
    ),
    "a 200 kB value": (
        as_json(dict(GOOD, pSyncName="a" * 200_000)),
        ["pSyncName is refused: it is 200,000 bytes; a parameter value holds at most 4,096"],
    ),
    "30 and a line break": (as_json(dict(GOOD, **{DAYS: "30\n"})), [f"{DAYS} is refused: it holds '\\n'"]),
    "NaN": (as_json(dict(GOOD, **{DAYS: "NaN"})), [f"{DAYS} is refused: 'NaN' is not a whole number (digits 0-9)"]),
    "3_0": (as_json(dict(GOOD, **{DAYS: "3_0"})), [f"{DAYS} is refused: '3_0' is not a whole number"]),
    "full-width digits": (
        as_json(dict(GOOD, **{DAYS: "\uff13\uff10"})),
        [f"{DAYS} is refused: '\\uff13\\uff10' is not"],
    ),
    "30.5": (as_json(dict(GOOD, **{DAYS: "30.5"})), [f"{DAYS} is refused: '30.5' is not a whole number"]),
    "30 and a space": (as_json(dict(GOOD, **{DAYS: "30 "})), [f"{DAYS} is refused: '30 ' is not a whole number"]),
    "out of range": (as_json(dict(GOOD, **{DAYS: "3651"})), [f"{DAYS} is refused: 3651 is above 3650"]),
    "an empty list": (
        b"[]",
        [f"holds no parameters; give {COLLECTOR}'s", "PARAMS= (empty)"],
    ),
    "a required key left out": (
        as_json({k: v for k, v in GOOD.items() if k != "pResourceDataSyncBucketName"}),
        ["pResourceDataSyncBucketName has no default; give it a value (examples in " + EXAMPLE],
    ),
    "an empty file": (b"", [f"the file is empty; {SHAPE}"]),
    "blank lines": (b"\n  \n", [f"the file is empty; {SHAPE}"]),
    "YAML": (b"- ParameterKey: pSyncName\n  ParameterValue: x\n", [f"YAML, not JSON; {SHAPE}"]),
    "YAML mapping": (b"pSyncName: inventory-sync\n", [f"YAML, not JSON; {SHAPE}"]),
    "Key=Value lines": (
        b"pSyncName=inventory-sync\npBucketPrefix=inventory\n",
        [f"Key=Value lines, not JSON; {SHAPE}"],
    ),
    "a JSON object of values": (json.dumps(GOOD).encode(), [f"holds a JSON object; {SHAPE}"]),
    "a member given twice": (
        b'[{"ParameterKey": "pSyncName", "ParameterKey": "pSyncName", "ParameterValue": "x"}]',
        ["the member 'ParameterKey' appears twice in one object; give it once"],
    ),
    "a value that is a number": (
        json.dumps([*entries(GOOD)[:-1], {"ParameterKey": DAYS, "ParameterValue": 30}]).encode(),
        ['ParameterValue is a JSON number; write it as a string, "ParameterValue": "30"'],
    ),
    "UsePreviousValue": (
        json.dumps([{"ParameterKey": "pSyncName", "UsePreviousValue": True}]).encode(),
        ["entry 1 has 'ParameterKey', 'UsePreviousValue'; each entry has exactly ParameterKey and ParameterValue"],
    ),
    "over 1 MiB": (b" " * (preflight.FILE_BYTES + 1), ["over 1,048,576 bytes, too large for a parameter file"]),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_refused_in_a_few_lines_naming_the_file_and_the_fix(tmp_path, case):
    content, expected = BAD_FILES[case]
    path = tmp_path / "params.json"
    path.write_bytes(content)
    assert_refused(preflight_run(str(path)), str(path), *expected)


def test_good_values_of_the_same_file_pass(tmp_path):
    """The cases above differ from a file that passes in the one thing they name."""
    path = tmp_path / "params.json"
    path.write_bytes(as_json(GOOD))
    result = preflight_run(str(path))
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.split() == [f"{key}={value}" for key, value in GOOD.items()]


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/null", "fifo", "directory"])
def test_a_device_a_pipe_or_a_directory_is_refused_without_reading_it(tmp_path, special):
    if special == "fifo":
        special = str(tmp_path / "fifo")
        os.mkfifo(special)  # opening it would wait for a writer forever
    elif special == "directory":
        special = str(tmp_path)
    result = preflight_run(special)
    why = "a directory; give the parameter file" if special == str(tmp_path) else "not a regular file"
    assert_refused(result, special, why)


def test_a_file_url_is_told_to_give_the_path(tmp_path):
    path = tmp_path / "params.json"
    path.write_bytes(as_json(GOOD))
    assert_refused(preflight_run(f"file://{path}"), str(path), f"give the file's path without file://, PARAMS={path}")


def test_a_file_for_another_template_is_refused_in_one_line(tmp_path):
    """Not the whole parameter list once per key, and no 'did you mean' for another template's key."""
    path = tmp_path / "stacksets.json"
    path.write_bytes(as_json(own(STACKSETS)))
    result = preflight_run(str(path))
    assert_refused(result, str(path), f"keys are not parameters of {COLLECTOR}", f"takes those of {EXAMPLE}")
    assert len(result.stderr.splitlines()) == 2 and len(result.stderr) < 600 and "did you mean" not in result.stderr
    # A file of one template's keys names that template.
    path.write_bytes(as_json(own(CENTRAL)))
    assert_refused(
        preflight_run(str(path)), str(path), f"They are the parameters of {CENTRAL} (TEMPLATE=output/{CENTRAL})"
    )


def test_a_misspelt_key_gets_the_close_name_and_a_strange_one_the_example_file(tmp_path):
    path = tmp_path / "params.json"
    values = {("pSyncNmae" if key == "pSyncName" else key): value for key, value in GOOD.items()}
    path.write_bytes(as_json(values))
    assert_refused(
        preflight_run(str(path)), str(path), f"pSyncNmae is not a parameter of {COLLECTOR}; did you mean pSyncName?"
    )
    path.write_bytes(as_json(dict(GOOD, zzz="1")))
    assert_refused(
        preflight_run(str(path)), str(path), f"zzz is not a parameter of {COLLECTOR}; its parameters are in {EXAMPLE}"
    )


def test_many_problems_are_cut_to_a_few_lines(tmp_path):
    path = tmp_path / "params.json"
    path.write_bytes(as_json({key: "x y" for key in GOOD}))
    result = preflight_run(str(path))
    assert_refused(result, str(path), "is refused", "... and ")
    assert len(result.stderr.splitlines()) == MAX_LINES


def test_the_templates_rules_are_evaluated(tmp_path):
    """What CloudFormation's Rules refuse, the preflight refuses first: waves on without OUs in the
    StackSet template, no sender in the central alerts."""
    path = tmp_path / "params.json"
    path.write_bytes(as_json(dict(own(STACKSETS), pDeployWave2="true", pWave2OrganizationalUnitIds="none")))
    assert_refused(
        preflight_run(str(path), STACKSETS, BUCKET),
        str(path),
        "refused by the template's Rules: Wave2HasOrganizationalUnits: pDeployWave2 is true: give "
        "pWave2OrganizationalUnitIds organizational unit ids, not none.",
    )
    wave2 = "ou-zz99-wave2wave2"
    good = dict(own(STACKSETS), pDeployWave2="true", pWave2OrganizationalUnitIds=wave2)
    path.write_bytes(as_json(good))
    assert preflight_run(str(path), STACKSETS, BUCKET).returncode == 0
    central = own(CENTRAL)
    path.write_bytes(as_json(dict(central, pDataSourceAccountID="", pOrganizationID="")))
    assert_refused(
        preflight_run(str(path), CENTRAL), str(path), "refused by the template's Rules: SourceAccountsOrOrganization"
    )


def test_values_are_read_as_cloudformation_reads_them():
    """Java's regular expressions: \\w and \\d are ASCII; CloudFormation refuses what Python's Unicode
    classes would take. Numbers are whole, in ASCII digits."""
    word = {"Type": "String", "AllowedPattern": r"^[\w .:/=+@-]{1,256}$"}
    assert preflight.violation(word, "Production_1 a.b:c/d=e+f@g-h") is None
    for refused in ("Producción", "Ünïcode", "日本", "١٢٣", "x\u00a0y", "naïve"):
        assert preflight.violation(word, refused) == f"{refused!r} does not match ^[\\w .:/=+@-]{{1,256}}$"
    digits = {"Type": "String", "AllowedPattern": r"^\d{12}$"}
    assert preflight.violation(digits, "123456789012") is None
    assert preflight.violation(digits, "١٢٣٤٥٦٧٨٩٠١٢") is not None  # Arabic-Indic digits
    assert preflight.violation(digits, "１２３４５６７８９０１２") is not None  # full-width digits
    days = {"Type": "Number", "MinValue": 1, "MaxValue": 3650}
    assert preflight.violation(days, "30") is None and preflight.violation(days, "3650") is None
    for refused in ("NaN", "inf", "3_0", "３０", "30.5", "30 ", " 30", "30\n", "+30", "", "0x1e", "1e3"):
        assert preflight.violation(days, refused) is not None, refused
    assert preflight.violation(days, "0") == "0 is below 1"
    assert preflight.violation({"Type": "String"}, "a" * 4096) is None
    assert (
        preflight.violation({"Type": "String"}, "é" * 2049)
        == "it is 4,098 bytes; a parameter value holds at most 4,096"
    )


def test_every_number_parameter_is_a_whole_number():
    """The preflight refuses fractions for Number parameters because each of these templates' feeds
    an integer property; a Number parameter that may take a fraction must change that first."""
    numbers = [
        (name, key, definition)
        for name, definitions in preflight.load_constraints(ROOT / "output" / "constraints.json")["templates"].items()
        for key, definition in definitions.items()
        if definition["Type"] in ("Number", "List<Number>")
    ]
    assert len(numbers) > 10
    for name, key, definition in numbers:
        assert "whole number" in definition["ConstraintDescription"], (name, key)


@pytest.mark.parametrize(
    "text, why",
    [
        ("{", "cannot read the parameter constraints"),
        ("[]", "no templates object, which the build never writes; run make templates"),
        ('{"templates": {"x.yml": []}}', "x.yml: parameters that are a JSON list"),
        ('{"templates": {"x.yml": {"pA": {}}}}', "x.yml: pA has no Type"),
        ('{"templates": {"x.yml": {"pA": {"Type": "Number", "MinValue": "1"}}}}', "pA its MinValue is a JSON string"),
        (
            '{"templates": {"x.yml": {"pA": {"Type": "String", "AllowedPattern": "(["}}}}',
            "its AllowedPattern cannot be read",
        ),
        ('{"templates": {"x.yml": {}}, "placeholders": "abc"}', "placeholders is a JSON string"),
        ('{"templates": {"x.yml": {}}, "uploads": {"x.yml": {"parameter": "pB", "files": {}}}}', "names 'pB'"),
        (
            '{"templates": {"x.yml": {"pB": {"Type": "String"}}}, "uploads": {"x.yml": {"parameter": "pB", '
            '"files": {"../k": "a.yml"}}}}',
            "uploads '../k': S3 keys and files are plain relative paths",
        ),
        ("\ufeff{", "cannot read the parameter constraints"),
        ("[" * 5000, "cannot read the parameter constraints"),
    ],
)
def test_a_malformed_constraints_file_says_to_build(tmp_path, text, why):
    path = tmp_path / "constraints.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(preflight.Refused, match="run make templates") as refused:
        preflight.load_constraints(path)
    assert why in str(refused.value) and str(path) in str(refused.value)


def test_rules_that_cannot_be_evaluated_say_to_build(tmp_path):
    data = json.loads((ROOT / "output" / "constraints.json").read_text())
    data["rules"][CENTRAL] = {"R": {"Assertions": [{"Assert": {"Fn::ValueOf": ["a", "b"]}}]}}
    path = tmp_path / "constraints.json"
    path.write_text(json.dumps(data))
    with pytest.raises(preflight.Refused, match=f"the Rules of {CENTRAL} cannot be evaluated .*run make templates"):
        preflight.rule_problems("p.json", CENTRAL, own(CENTRAL), preflight.load_constraints(path))


# -- property-based fuzzing ------------------------------------------------------------------------

KEYS = sorted(set(GOOD) | set(own(CENTRAL)))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
parameter_lists = st.lists(
    st.fixed_dictionaries(
        {
            "ParameterKey": st.sampled_from(KEYS) | st.text(max_size=12),
            "ParameterValue": st.sampled_from(sorted(GOOD.values())) | st.text(max_size=40) | json_values,
        }
    ),
    max_size=8,
)
line_files = st.lists(
    st.tuples(st.sampled_from(KEYS), st.sampled_from(["=", ": ", " = "]), st.text(max_size=20)), max_size=5
).map(lambda lines: "\n".join(f"{key}{sep}{value}" for key, sep, value in lines))
texts = st.one_of(
    parameter_lists.map(json.dumps),
    parameter_lists.map(lambda v: json.dumps(v, ensure_ascii=False)),
    json_values.map(json.dumps),
    line_files,
    st.text(max_size=200),
)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1"]
files = st.one_of(
    st.tuples(texts, st.sampled_from(ENCODINGS)).map(
        lambda t: t[0].encode(t[1], "surrogatepass" if "utf" in t[1] else "replace")
    ),
    st.binary(max_size=300),
    # the good file cut short or with one byte changed
    st.tuples(st.integers(0, 2000), st.integers(0, 255)).map(
        lambda t: as_json(GOOD)[: t[0]] + bytes([t[1]]) + as_json(GOOD)[t[0] + 1 :]
    ),
    st.integers(0, 2000).map(lambda n: as_json(GOOD)[:n]),
)


def test_fuzz_no_traceback_and_every_refusal_names_the_file(tmp_path, monkeypatch):
    """At least 300 generated files: each accepted, or refused in a few lines naming the file, and
    printed to an ASCII-only terminal; any exception (a traceback) fails the test. The constraints
    are read once (their own refusals are tested above)."""
    monkeypatch.setattr(preflight, "load_constraints", functools.cache(preflight.load_constraints))
    counts = {"files": 0, "refused": 0, "refused naming the file": 0}
    path = tmp_path / "params.json"

    @settings(max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(content=files, name=st.sampled_from([COLLECTOR, CENTRAL, default_host_management.RECORD.file]))
    def one_file(content, name):
        path.write_bytes(content)
        out, err = (io.TextIOWrapper(io.BytesIO(), encoding="ascii") for _ in range(2))
        streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        try:
            status = preflight.main(["check", "deploy", "--STACK=s", f"--TEMPLATE=output/{name}", f"--PARAMS={path}"])
        finally:
            sys.stdout, sys.stderr = streams
        err.flush()
        message = err.buffer.getvalue().decode("ascii")
        counts["files"] += 1
        assert status in (0, 1)
        if status == 1:
            counts["refused"] += 1
            assert str(path) in message and len(message.splitlines()) <= MAX_LINES, message
            counts["refused naming the file"] += 1

    one_file()
    print(f"\npreflight fuzz: {counts}")
    assert counts["files"] >= 300 and counts["refused naming the file"] == counts["refused"] > 0


def test_every_template_has_constraints_and_an_example():
    data = preflight.load_constraints(ROOT / "output" / "constraints.json")
    assert set(data["templates"]) == set(TEMPLATES)
    assert data["stacksets"] == [STACKSETS]
    assert all(preflight.example_file(name).name in os.listdir(ROOT / "output" / "parameters") for name in TEMPLATES)
    assert codecs.BOM_UTF8 not in (ROOT / "output" / "constraints.json").read_bytes()[:3]
