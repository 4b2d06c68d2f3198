"""Check a deploy before anything runs, with the Python standard library alone: `make deploy` and the
other deploy targets need no virtual environment and no build.

    python3 -m patch_templates.deploy.preflight check GOAL... [--STACK=...] [--TEMPLATE=...] [--PARAMS=...]
        [--ARTIFACTS_BUCKET=...] [--REGION=...] [--PROFILE=...] [--CAPABILITIES=...] [--TIMEOUT=...]
    python3 -m patch_templates.deploy.preflight plan --TEMPLATE=...

The Makefile passes its variables as they were typed, each quoted. `check` refuses, in a few lines
that name the variable or file, the key and the fix, with exit status 1:
- a variable the goal needs and did not get, or one holding what no stack name, Region, profile,
  bucket, capability or number holds (quotes, $(...), backticks, ;, line breaks never get further);
- a TEMPLATE that does not resolve to output/<a built template>, or one that must go through S3
  (over 51,200 bytes, or with member files to upload) without ARTIFACTS_BUCKET;
- a parameter file that is not a regular UTF-8 file of at most 1 MiB holding a JSON list of
  ParameterKey/ParameterValue strings (an empty file, YAML, Key=Value lines and file:// are named);
- a key the template does not have, a key given twice, a parameter without a default left out;
- a value CloudFormation would refuse (its constraint, read as CloudFormation reads it), an example
  placeholder left in, or values that break the template's Rules;
- rollout waves whose windows and approval delays would skip a month's Windows update or install
  out of order over the next 24 Patch Tuesdays (the patch calendar, deploy/calendar.py).
Otherwise `check` prints, for deploy, the parameter file as shell-quoted Key=Value words for
`aws cloudformation deploy --parameter-overrides`. `plan` prints what the Makefile needs to know of
a checked template: template:<name>, stacksets when it creates StackSets, and upload:<file>:<key>
for each file the deploy uploads first.

The build writes output/constraints.json (the standard library cannot read CloudFormation YAML):
{"placeholders": [...], "templates": {template: {parameter: constraint}}, "rules": {template: Rules},
 "stacksets": [template, ...], "uploads": {template: {"parameter": name, "files": {S3 key: file}}},
 "calendar": {template: [{"wave", "switch", "schedule", "timezone", "offset", "delays"}, ...]}}: for each
 rollout wave its name, the parameter that switches it (null: always on) and the parameters of its
 schedule, time zone, offset and approval delays.
"""

import argparse
import codecs
import difflib
import io
import json
import re
import shlex
import stat
import sys
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path

from . import calendar, identifiers, rules

OUTPUT = Path("output")
NONE = "none"  # a StackSet member's value for none (parts/parameters.py)
CONSTRAINTS = OUTPUT / "constraints.json"
# The parameter properties that decide whether CloudFormation accepts a value or needs one.
CONSTRAINT_KEYS = (
    "Type",
    "AllowedPattern",
    "AllowedValues",
    "MinLength",
    "MaxLength",
    "MinValue",
    "MaxValue",
    "ConstraintDescription",
    "Default",
)
CONSTRAINT_TYPES: dict[str, type | tuple[type, ...]] = {
    "Type": str,
    "AllowedPattern": str,
    "AllowedValues": list,
    "MinLength": int,
    "MaxLength": int,
    "MinValue": (int, float),
    "MaxValue": (int, float),
    "ConstraintDescription": str,
    "Default": (str, int, float),
}
# CloudFormation reads AllowedPattern with java.util.regex.Pattern (CloudFormation user guide,
# "Regular expressions"; quoted in aws-cloudformation/cfn-lint#1565), where \w, \d and \s
# are ASCII; re.ASCII gives Python the same meaning.
PATTERN_FLAGS = re.ASCII
# Every Number parameter of these templates feeds an integer property (days, hours, bytes, a
# priority); tests/deploy/test_preflight.py keeps it so.
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
# Parameter value: 4,096 bytes (CloudFormation quotas page).
VALUE_BYTES = 4096
# Over this `aws cloudformation deploy` needs --s3-bucket (awscli customizations/cloudformation/deploy.py).
INLINE_TEMPLATE_BYTES = 51_200
# 200 parameters of 4,096 bytes fit; a larger file is not a parameter file.
FILE_BYTES = 1 << 20
# A refusal shows this many problems at most.
SHOWN_PROBLEMS = 6

BUCKET = r"(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
CAPABILITY = r"CAPABILITY_(IAM|NAMED_IAM|AUTO_EXPAND)"
# What each make variable may hold, and what to give instead. The Makefile quotes every value;
# these refuse the rest, so nothing a shell would read specially gets past the check.
VARIABLES = {
    # CreateStack API reference, StackName.
    "STACK": (
        r"[a-zA-Z][-a-zA-Z0-9]{0,127}",
        "a stack name is 1-128 letters, digits and hyphens, starting with a letter",
    ),
    "TEMPLATE": (r"[^\x00-\x1f'\"`$;&|<>\\]+", "give output/<template>"),
    "PARAMS": (r"[^\x00-\x1f]+", "give the path of a JSON parameter file"),
    "ARTIFACTS_BUCKET": (BUCKET, "an S3 bucket name is 3-63 lower-case letters, digits, dots and hyphens"),
    "REGION": (identifiers.REGION, "a Region code such as eu-west-1"),
    "PROFILE": (r"[A-Za-z0-9_.@+-]{1,64}", "a profile of the AWS CLI's config: letters, digits and _.@+-"),
    "CAPABILITIES": (f"{CAPABILITY}( {CAPABILITY})*", "CAPABILITY_IAM, CAPABILITY_NAMED_IAM or CAPABILITY_AUTO_EXPAND"),
    "TIMEOUT": (r"[1-9][0-9]{0,5}", "whole minutes to wait at most, such as 240 (empty: until the end)"),
}
GOALS = {
    "deploy": ("STACK", "TEMPLATE"),
    "package": ("TEMPLATE", "ARTIFACTS_BUCKET"),
    "describe": ("STACK",),
    "status": ("STACK",),
    "wait": ("STACK",),
    "retry": ("STACK",),
    "drift": ("STACK",),
}
EXAMPLES = {
    "STACK": "STACK=my-stack",
    "TEMPLATE": "TEMPLATE=output/<template>",
    "ARTIFACTS_BUCKET": "ARTIFACTS_BUCKET=my-artifacts-bucket",
}
SHAPE = '[{"ParameterKey": "pName", "ParameterValue": "text"}, ...]'
# S3 keys and output/ files the deploy uploads: plain path characters, no '..'.
UPLOAD_PATH = re.compile(r"(?!.*(^|/)\.\.(/|$))[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", PATTERN_FLAGS)
BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


class Refused(Exception):
    """A problem found before anything ran; the message names the variable or file and the fix."""


def shown(text: str, limit: int = 60) -> str:
    """Text as a refusal can print it: quoted, escaped, cut at `limit` characters."""
    return repr(text[:limit]) + (f"... ({len(text):,} characters)" if len(text) > limit else "")


def key_shown(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9]{1,255}", key, PATTERN_FLAGS) else shown(key)


def violation(definition: dict, value: str) -> str | None:
    """Why CloudFormation would refuse `value` for a parameter `definition`, or None if it accepts it.

    Follows CloudFormation's rules: at most 4,096 bytes of one-line text; AllowedPattern matched as
    Java does and over the whole value (each item of a CommaDelimitedList or List<...>),
    AllowedValues, Min/MaxLength, and Min/MaxValue for whole numbers.
    """
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > VALUE_BYTES:
        return f"it is {size:,} bytes; a parameter value holds at most {VALUE_BYTES:,}"
    odd = next((c for c in value if unicodedata.category(c) in ("Cc", "Cs")), None)
    if odd is not None:
        return f"it holds {odd!r}, a control character or broken Unicode; a value is one line of text"
    kind = definition["Type"]
    items = value.split(",") if kind == "CommaDelimitedList" or kind.startswith("List<") else [value]
    for item in items:
        if kind in ("Number", "List<Number>"):
            if not WHOLE_NUMBER.fullmatch(item):
                return f"{shown(item)} is not a whole number (digits 0-9)"
            if "MinValue" in definition and int(item) < definition["MinValue"]:
                return f"{item} is below {definition['MinValue']}"
            if "MaxValue" in definition and int(item) > definition["MaxValue"]:
                return f"{item} is above {definition['MaxValue']}"
            continue
        if "AllowedValues" in definition and item not in definition["AllowedValues"]:
            return f"{shown(item)} is not one of {definition['AllowedValues']}"
        if "AllowedPattern" in definition and not re.fullmatch(definition["AllowedPattern"], item, PATTERN_FLAGS):
            return f"{shown(item)} does not match {definition['AllowedPattern']}"
        if len(item) < definition.get("MinLength", 0):
            return f"{shown(item)} is shorter than {definition['MinLength']}"
        if "MaxLength" in definition and len(item) > definition["MaxLength"]:
            return f"{shown(item)} is longer than {definition['MaxLength']}"
    return None


def constraints_file(
    templates: dict[str, dict], placeholders, uploads: dict | None = None, calendar_waves: dict | None = None
) -> str:
    """The text of output/constraints.json for these templates (written by the build)."""
    data = {
        "placeholders": sorted(placeholders),
        "templates": {
            name: {
                key: {k: definition[k] for k in CONSTRAINT_KEYS if k in definition}
                for key, definition in template.get("Parameters", {}).items()
            }
            for name, template in templates.items()
        },
        "rules": {name: template["Rules"] for name, template in templates.items() if "Rules" in template},
        "stacksets": [
            name
            for name, template in templates.items()
            if any(r["Type"] == "AWS::CloudFormation::StackSet" for r in template.get("Resources", {}).values())
        ],
    }
    if uploads:
        data["uploads"] = uploads
    if calendar_waves:
        data["calendar"] = calendar_waves
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def json_text(value) -> str:
    """A parameter's default as CloudFormation passes it: text (30 is "30")."""
    return value if isinstance(value, str) else json.dumps(value)


def _kind(value) -> str:
    return {dict: "object", list: "list", str: "string", bool: "true/false", type(None): "null"}.get(
        type(value), "number"
    )


def _constraint_problem(definition) -> str | None:
    if not isinstance(definition, dict) or not isinstance(definition.get("Type"), str):
        return "has no Type"
    for field, expected in CONSTRAINT_TYPES.items():
        if field in definition and (not isinstance(definition[field], expected) or isinstance(definition[field], bool)):
            return f"its {field} is a JSON {_kind(definition[field])}"
    if not all(isinstance(v, str) for v in definition.get("AllowedValues", [])):
        return "its AllowedValues are not all strings"
    try:
        re.compile(definition.get("AllowedPattern", ""), PATTERN_FLAGS)
    except re.error as error:
        return f"its AllowedPattern cannot be read ({error})"
    return None


def _upload_problem(upload, definitions: dict) -> str | None:
    if not (isinstance(upload, dict) and isinstance(upload.get("files"), dict)):
        return "is not an object with parameter and files"
    if upload.get("parameter") not in definitions:
        return f"names {upload.get('parameter')!r}, not a parameter of the template"
    for key, file in upload["files"].items():
        if not (isinstance(file, str) and UPLOAD_PATH.fullmatch(key) and UPLOAD_PATH.fullmatch(file)):
            return f"uploads {key!r}: S3 keys and files are plain relative paths"
    return None


def load_constraints(path: Path = CONSTRAINTS) -> dict:
    """output/constraints.json, checked to be what the build writes."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as error:
        raise Refused(f"{path}: cannot read the parameter constraints ({error}); run make templates") from None

    def malformed(why: str) -> Refused:
        return Refused(f"{path}: {why}, which the build never writes; run make templates")

    if not isinstance(data, dict) or not isinstance(data.get("templates"), dict):
        raise malformed("no templates object")
    found = {
        "placeholders": data.get("placeholders", []),
        "templates": data["templates"],
        "rules": data.get("rules", {}),
        "stacksets": data.get("stacksets", []),
        "uploads": data.get("uploads", {}),
        "calendar": data.get("calendar", {}),
    }
    for field, shape in (
        ("placeholders", list),
        ("rules", dict),
        ("stacksets", list),
        ("uploads", dict),
        ("calendar", dict),
    ):
        if not isinstance(found[field], shape):
            raise malformed(f"{field} is a JSON {_kind(found[field])}")
    if not all(isinstance(p, str) and p for p in found["placeholders"] + found["stacksets"]):
        raise malformed("placeholders or stacksets that are not names")
    for name, definitions in found["templates"].items():
        if not isinstance(definitions, dict):
            raise malformed(f"{name}: parameters that are a JSON {_kind(definitions)}")
        for key, definition in definitions.items():
            if problem := _constraint_problem(definition):
                raise malformed(f"{name}: {key_shown(key)} {problem}")
    for name, upload in found["uploads"].items():
        if problem := _upload_problem(upload, found["templates"].get(name, {})):
            raise malformed(f"uploads of {name} {problem}")
    return found


def check_variables(goals: list[str], variables: dict[str, str | None]) -> None:
    """Refuse a missing or impossible make variable, naming each."""
    found: list[str] = []
    for goal in goals:
        for name in GOALS[goal]:
            if not variables.get(name) and not any(f.startswith(f"{name} ") for f in found):
                found.append(f"{name} is required, e.g. make {goal} {EXAMPLES[name]}")
    for name, (pattern, fix) in VARIABLES.items():
        value = variables.get(name)
        if value and not re.fullmatch(pattern, value, PATTERN_FLAGS):
            found.append(f"{name}={shown(value)}: {fix}")
    if found:
        raise Refused("\n".join(found))


def template_name(template: str, known: dict) -> str:
    """The built template's file name; TEMPLATE must resolve to output/<it>."""
    name = Path(template).name
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1)
        raise Refused(
            f"TEMPLATE={template}: not a template built into {OUTPUT}/; "
            + (
                f"did you mean {OUTPUT}/{close[0]}?"
                if close
                else f"ls {OUTPUT}/*.y*ml lists the {len(known)} templates"
            )
        )
    try:
        foreign = Path(template).resolve() != (OUTPUT / name).resolve()
    except (OSError, RuntimeError):
        foreign = True
    if foreign:
        raise Refused(
            f"TEMPLATE={template}: give {OUTPUT}/{name}; make deploys only the files built into {OUTPUT}/, "
            "whose constraints it checks"
        )
    if not (OUTPUT / name).is_file():
        raise Refused(f"{OUTPUT}/{name} is missing: run make templates, or git checkout {OUTPUT}")
    return name


def example_file(name: str) -> Path:
    return OUTPUT / "parameters" / f"{Path(name).stem}.json"


def _unique_members(pairs: list) -> dict:
    counts = Counter(key for key, _ in pairs)
    twice = [key for key, count in counts.items() if count > 1]
    if twice:
        raise Refused(f"the member {shown(twice[0])} appears twice in one object; give it once")
    return dict(pairs)


def _not_json(text: str, error: ValueError) -> str:
    """What a file that is not JSON looks like, for the refusal."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if lines and all(re.match(r"[A-Za-z][A-Za-z0-9]*=", line) for line in lines):
        return "Key=Value lines, not JSON"
    if lines and (lines[0] == "---" or re.match(r"(- |[A-Za-z\"'][^\s:]*\s*:(\s|$))", lines[0])):
        return "YAML, not JSON"
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON ({error.msg}, line {error.lineno} column {error.colno})"
    return f"not valid JSON ({error})"


def read_parameters(given: str, name: str) -> list[tuple[str, str]]:
    """The (key, value) pairs of a parameter file, read as `aws cloudformation` would take them."""
    shape = f"it should hold a JSON list {SHAPE}, as {example_file(name)} does"
    if given.startswith("file://"):
        raise Refused(f"PARAMS={given}: give the file's path without file://, PARAMS={given[len('file://') :]}")
    path = Path(given)
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise Refused(f"PARAMS={given}: a directory; give the parameter file, such as {example_file(name)}")
        if not stat.S_ISREG(mode):
            raise Refused(f"PARAMS={given}: not a regular file (a device, pipe or socket); give a JSON file")
        with path.open("rb") as handle:
            data = handle.read(FILE_BYTES + 1)
    except OSError as error:
        raise Refused(f"PARAMS={given}: cannot read the parameter file ({error.strerror})") from None
    if len(data) > FILE_BYTES:
        raise Refused(f"{given}: over {FILE_BYTES:,} bytes, too large for a parameter file; {shape}")
    for bom, encoding in BOMS.items():
        if data.startswith(bom):
            raise Refused(f"{given}: saved as {encoding}; save it as UTF-8")
    if b"\0" in data:
        raise Refused(f"{given}: holds NUL bytes (UTF-16 or UTF-32 text, or not text at all); save it as UTF-8 text")
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refused(
            f"{given}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}, perhaps Latin-1); "
            "save it as UTF-8"
        ) from None
    if not text.strip():
        raise Refused(f"{given}: the file is empty; {shape}")
    try:
        entries = json.loads(text, object_pairs_hook=_unique_members)
    except Refused as error:
        raise Refused(f"{given}: {error}") from None
    except RecursionError:
        raise Refused(f"{given}: nested too deeply for a parameter file; {shape}") from None
    except ValueError as error:
        raise Refused(f"{given}: {_not_json(text, error)}; {shape}") from None
    if not isinstance(entries, list):
        raise Refused(f"{given}: holds a JSON {_kind(entries)}; {shape}")
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise Refused(f"{given}: entry {number} is a JSON {_kind(entry)}; {shape}")
        if set(entry) != {"ParameterKey", "ParameterValue"}:
            members = ", ".join(shown(member, 30) for member in sorted(entry)[:4]) or "no members"
            raise Refused(
                f"{given}: entry {number} has {members}; each entry has exactly ParameterKey and ParameterValue"
            )
        for member, value in entry.items():
            if not isinstance(value, str):
                raise Refused(
                    f"{given}: entry {number}: {member} is a JSON {_kind(value)}; write it as a string, "
                    f'"{member}": "{json.dumps(value)[:20]}"'
                )
    return [(entry["ParameterKey"], entry["ParameterValue"]) for entry in entries]


def _wrong_template(given: str, name: str, unknown: list[str], pairs: list, templates: dict) -> str:
    keys = {key for key, _ in pairs}
    other = next((t for t, definitions in templates.items() if t != name and keys <= set(definitions)), None)
    return (
        f"{given}: {len(unknown)} of its {len(pairs)} keys are not parameters of {name} "
        f"({', '.join(key_shown(k) for k in unknown[:3])}, ...): a file for another template? "
        + (f"They are the parameters of {other} (TEMPLATE={OUTPUT}/{other}); " if other else "")
        + f"{name} takes those of {example_file(name)}"
    )


def problems(given: str, name: str, pairs: list[tuple[str, str]], constraints: dict) -> list[str]:
    """Every problem of these parameter values for template `name`, one line each."""
    definitions = constraints["templates"][name]
    unknown = [key for key, _ in pairs if key not in definitions]
    if len(unknown) > 3 and 2 * len(unknown) > len(pairs):
        return [_wrong_template(given, name, unknown, pairs, constraints["templates"])]
    found = []
    for key, count in Counter(key for key, _ in pairs).items():
        if count > 1:
            found.append(f"{given}: {key_shown(key)} is given {count} times; keep one")
    for key, value in pairs:
        if key not in definitions:
            close = difflib.get_close_matches(key, definitions, n=1, cutoff=0.8)
            found.append(
                f"{given}: {key_shown(key)} is not a parameter of {name}; "
                + (f"did you mean {close[0]}?" if close else f"its parameters are in {example_file(name)}")
            )
            continue
        if why := violation(definitions[key], value):
            hint = definitions[key].get("ConstraintDescription")
            found.append(f"{given}: {key} is refused: {why}" + (f" ({key} {hint})" if hint else ""))
        for placeholder in constraints["placeholders"]:
            if placeholder in value:
                found.append(
                    f"{given}: {key}={shown(value)} still holds the example placeholder {placeholder!r}: "
                    "put your own value in a copy of the example file and pass PARAMS=your-copy.json"
                )
    given_keys = {key for key, _ in pairs}
    missing = [key for key, definition in definitions.items() if "Default" not in definition and key not in given_keys]
    if missing:
        found.append(
            f"{given}: {', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no default; "
            f"give {'it a value' if len(missing) == 1 else 'each a value'} (examples in {example_file(name)})"
        )
    return (
        found
        or rule_problems(given, name, dict(pairs), constraints)
        or calendar_problems(given, name, dict(pairs), constraints)
    )


def calendar_problems(
    given: str, name: str, values: dict[str, str], constraints: dict, since: date | None = None
) -> list[str]:
    """The rollout waves switched on, checked by the patch calendar over the 24 Patch Tuesdays from
    `since` (today): each problem names the wave, the month and a fix."""
    definitions = constraints["templates"][name]
    every = {key: json_text(d["Default"]) for key, d in definitions.items() if "Default" in d} | values
    waves = []
    for wave in constraints["calendar"].get(name, []):
        if wave["switch"] and every.get(wave["switch"]) != "true":
            continue
        delays = tuple(int(every[key]) for key in wave["delays"] if every.get(key, NONE) != NONE)
        try:
            schedule = calendar.Schedule(every[wave["schedule"]], every[wave["timezone"]], int(every[wave["offset"]]))
            waves.append(calendar.Wave(wave["wave"], schedule, delays))
        except (ValueError, KeyError) as error:
            return [f"{given}: {wave['wave']}: {error}"]
    return [f"{given}: patch calendar: {problem}" for problem in calendar.check_waves(waves, since or date.today())]


def rule_problems(given: str, name: str, values: dict[str, str], constraints: dict) -> list[str]:
    """The template's Rules, evaluated as CloudFormation does before it creates anything."""
    definitions = constraints["templates"][name]
    every = {key: json_text(d["Default"]) for key, d in definitions.items() if "Default" in d} | values
    try:
        broken = rules.failures({"Parameters": definitions, "Rules": constraints["rules"].get(name, {})}, every)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise Refused(f"{CONSTRAINTS}: the Rules of {name} cannot be evaluated ({error}); run make templates") from None
    return [f"{given}: refused by the template's Rules: {failure}" for failure in broken]


def check(goals: list[str], variables: dict[str, str | None], constraints: Path = CONSTRAINTS) -> list[str]:
    """The override words for a good deploy (empty for the other goals); raises Refused otherwise."""
    check_variables(goals, variables)
    if not {"deploy", "package"} & set(goals):
        return []
    data = load_constraints(constraints)
    name = template_name(variables["TEMPLATE"] or "", data["templates"])  # given: check_variables
    bucket = variables.get("ARTIFACTS_BUCKET")
    size = (OUTPUT / name).stat().st_size
    upload = data["uploads"].get(name)
    if not bucket and (size > INLINE_TEMPLATE_BYTES or upload):
        why = (
            "its member templates go to S3 first" if upload else f"it is {size:,} bytes, over {INLINE_TEMPLATE_BYTES:,}"
        )
        raise Refused(
            f"TEMPLATE={variables['TEMPLATE']}: {why}: give ARTIFACTS_BUCKET=<a bucket of yours in the deploy's Region>"
        )
    if "deploy" not in goals:
        return []
    given = variables.get("PARAMS")
    if given is None:
        given = str(example_file(name))
    pairs = read_parameters(given, name) if given else []
    if pairs == [] and given and data["templates"][name]:
        raise Refused(
            f"{given}: holds no parameters; give {name}'s (as in {example_file(name)}), "
            "or PARAMS= (empty) to deploy with the template's defaults"
        )
    if upload:
        parameter = upload["parameter"]
        # The example file's placeholder bucket is the one the deploy sets: only another real bucket is refused.
        other = [
            value
            for key, value in pairs
            if key == parameter and value != bucket and not any(p in value for p in data["placeholders"])
        ]
        if other:
            raise Refused(
                f"{given or 'PARAMS'}: {parameter}={shown(other[0])}, but the members are uploaded to "
                f"ARTIFACTS_BUCKET={bucket}: leave {parameter} out of the file, or give it the same bucket"
            )
        pairs = [(key, value) for key, value in pairs if key != parameter] + [(parameter, bucket or "")]
    found = problems(given or "PARAMS=", name, pairs, data)
    if found:
        more = len(found) - SHOWN_PROBLEMS
        raise Refused("\n".join(found[:SHOWN_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])))
    return [f"{key}={value}" for key, value in pairs]


def plan(template: str, constraints: Path = CONSTRAINTS) -> list[str]:
    """What the Makefile needs to know of a checked template (see the module's docstring)."""
    data = load_constraints(constraints)
    name = template_name(template, data["templates"])
    tokens = [f"template:{name}"] + (["stacksets"] if name in data["stacksets"] else [])
    for key, file in sorted(data["uploads"].get(name, {}).get("files", {}).items()):
        if not (OUTPUT / file).is_file():
            raise Refused(f"{OUTPUT}/{file}, to upload for {name}, is missing: run make templates")
        tokens.append(f"upload:{file}:{key}")
    return tokens


def tool_parser(module: str, description: str) -> argparse.ArgumentParser:
    """The command line of a deploy tool; what it prints reaches any terminal, escaped if need be."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):  # not a stream a caller put in their place
            stream.reconfigure(errors="backslashreplace")
    return argparse.ArgumentParser(
        prog=f"python3 -m {module}", description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def main(argv=None) -> int:
    parser = tool_parser("patch_templates.deploy.preflight", __doc__)
    parser.add_argument("command", choices=("check", "plan"))
    parser.add_argument("goals", nargs="*", help=f"the make goals checked: {', '.join(GOALS)}")
    for name in VARIABLES:
        parser.add_argument(f"--{name}")
    args = parser.parse_args(argv)
    try:
        if args.command == "plan":
            words = plan(args.TEMPLATE or "")
        else:
            unknown = [goal for goal in args.goals if goal not in GOALS]
            if unknown or not args.goals:
                parser.error(f"goals are some of {', '.join(GOALS)}")
            words = check(args.goals, {name: getattr(args, name) for name in VARIABLES})
    except Refused as error:
        print(f"refused, nothing was run:\n{error}", file=sys.stderr)
        return 1
    print(" ".join(shlex.quote(word) for word in words))
    return 0


if __name__ == "__main__":
    sys.exit(main())
