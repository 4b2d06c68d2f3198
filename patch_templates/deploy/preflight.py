"""Check a deploy before anything runs, with the Python standard library alone: `make deploy` and
`make package` need no virtual environment and no build.

    python3 -m patch_templates.preflight [--stack NAME] TEMPLATE [PARAMETER_FILE]

The build writes every template's parameter constraints and the example placeholders into
output/constraints.json (the standard library cannot read CloudFormation YAML). This refuses,
naming the file and the problem, with exit status 1:
- a TEMPLATE that is not one of the built templates (and lists those that are);
- a stack name CloudFormation would refuse;
- a parameter file that is not valid JSON, or not a list of ParameterKey/ParameterValue strings;
- a key the template does not have (with the closest name), or a key given twice;
- a value the parameter's constraint refuses;
- an example placeholder left unedited (111122223333, example.com, ...).
Otherwise it prints the parameter file as shell-quoted Key=Value words for
`aws cloudformation deploy --parameter-overrides`.
"""

import argparse
import difflib
import json
import re
import shlex
import sys
from pathlib import Path

CONSTRAINTS = Path("output") / "constraints.json"
# The parameter properties that decide whether CloudFormation accepts a value.
CONSTRAINT_KEYS = (
    "Type",
    "AllowedPattern",
    "AllowedValues",
    "MinLength",
    "MaxLength",
    "MinValue",
    "MaxValue",
    "ConstraintDescription",
)
# CloudFormation stack names (CreateStack API reference, StackName).
STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")


class Refused(Exception):
    """A problem found before anything ran; the message names the file."""


def violation(definition: dict, value: str) -> str | None:
    """Why CloudFormation would refuse `value` for a parameter `definition`, or None if it accepts it.

    Follows CloudFormation's rules: AllowedPattern must match the whole value (each item of a
    CommaDelimitedList or List<...>), AllowedValues, Min/MaxLength, and Min/MaxValue for numbers.
    """
    kind = definition["Type"]
    items = value.split(",") if kind == "CommaDelimitedList" or kind.startswith("List<") else [value]
    for item in items:
        if kind in ("Number", "List<Number>"):
            try:
                number = float(item)
            except ValueError:
                return f"{item!r} is not a number"
            if "MinValue" in definition and number < float(definition["MinValue"]):
                return f"{item} is below {definition['MinValue']}"
            if "MaxValue" in definition and number > float(definition["MaxValue"]):
                return f"{item} is above {definition['MaxValue']}"
            continue
        if "AllowedValues" in definition and item not in definition["AllowedValues"]:
            return f"{item!r} is not one of {definition['AllowedValues']}"
        if "AllowedPattern" in definition and not re.fullmatch(definition["AllowedPattern"], item):
            return f"{item!r} does not match {definition['AllowedPattern']}"
        if len(item) < int(definition.get("MinLength", 0)):
            return f"{item!r} is shorter than {definition['MinLength']}"
        if "MaxLength" in definition and len(item) > int(definition["MaxLength"]):
            return f"{item!r} is longer than {definition['MaxLength']}"
    return None


def constraints_file(templates: dict[str, dict], placeholders) -> str:
    """The text of output/constraints.json for these templates (written by the build)."""
    return (
        json.dumps(
            {
                "placeholders": sorted(placeholders),
                "templates": {
                    name: {
                        key: {k: definition[k] for k in CONSTRAINT_KEYS if k in definition}
                        for key, definition in template.get("Parameters", {}).items()
                    }
                    for name, template in templates.items()
                },
            },
            indent=1,
            sort_keys=True,
        )
        + "\n"
    )


def load_constraints(path: Path = CONSTRAINTS) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise Refused(f"{path}: cannot read the parameter constraints ({error}); run make templates") from None


def template_name(template: str, known: dict) -> str:
    path = Path(template)
    if not template or path.name not in known or not path.is_file():
        listed = "\n  ".join(f"{CONSTRAINTS.parent}/{name}" for name in known)
        raise Refused(f"TEMPLATE={template}: no such template; the templates are:\n  {listed}")
    return path.name


def read_parameters(path: Path) -> list[tuple[str, str]]:
    try:
        text = path.read_text()
    except OSError as error:
        raise Refused(f"PARAMS={path}: cannot read the parameter file ({error.strerror})") from None
    try:
        entries = json.loads(text)
    except ValueError as error:
        raise Refused(f"{path}: not valid JSON: {error}") from None
    shape = "each entry must be an object with exactly the string members ParameterKey and ParameterValue"
    if not isinstance(entries, list):
        raise Refused(f"{path}: not a JSON list of parameters; {shape}, as in {CONSTRAINTS.parent}/parameters/")
    for number, entry in enumerate(entries, 1):
        if not (
            isinstance(entry, dict)
            and set(entry) == {"ParameterKey", "ParameterValue"}
            and all(isinstance(v, str) for v in entry.values())
        ):
            raise Refused(f"{path}: entry {number} is {json.dumps(entry)[:80]}; {shape}")
    return [(entry["ParameterKey"], entry["ParameterValue"]) for entry in entries]


def problems(path: Path, name: str, pairs: list[tuple[str, str]], definitions: dict, placeholders) -> list[str]:
    found = []
    seen = set()
    for key, value in pairs:
        if key in seen:
            found.append(f"{path}: {key} is given twice")
        seen.add(key)
        if key not in definitions:
            close = difflib.get_close_matches(key, definitions, n=1)
            found.append(
                f"{path}: {key} is not a parameter of {name}"
                + (f"; did you mean {close[0]}?" if close else f"; its parameters are {', '.join(definitions)}")
            )
            continue
        why = violation(definitions[key], value)
        if why:
            hint = definitions[key].get("ConstraintDescription")
            found.append(f"{path}: {key}={value!r} is refused: {why}" + (f" ({key} {hint})" if hint else ""))
        for placeholder in placeholders:
            if placeholder in value:
                found.append(
                    f"{path}: {key}={value!r} still holds the example placeholder {placeholder!r}: "
                    "put your own value in a copy of the example file and pass PARAMS=your-copy.json"
                )
    return found


def check(
    template: str, parameter_file: str | None, stack: str | None = None, constraints: Path = CONSTRAINTS
) -> list[str]:
    """The override words for a good deploy; raises Refused with every problem otherwise."""
    data = load_constraints(constraints)
    name = template_name(template, data["templates"])
    if stack is not None and not STACK_NAME.fullmatch(stack):
        raise Refused(f"STACK={stack}: a stack name is 1-128 letters, digits and hyphens, starting with a letter")
    if not parameter_file:
        return []
    pairs = read_parameters(Path(parameter_file))
    found = problems(Path(parameter_file), name, pairs, data["templates"][name], data["placeholders"])
    if found:
        raise Refused("\n".join(found))
    return [f"{key}={value}" for key, value in pairs]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m patch_templates.preflight",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", help="the stack name to check (deploy)")
    parser.add_argument("template")
    parser.add_argument("parameter_file", nargs="?")
    args = parser.parse_args(argv)
    try:
        words = check(args.template, args.parameter_file, args.stack)
    except Refused as error:
        print(f"refused, nothing was run:\n{error}", file=sys.stderr)
        return 1
    print(" ".join(shlex.quote(word) for word in words))
    return 0


if __name__ == "__main__":
    sys.exit(main())
