"""Example parameter values (output/parameters/<template>.json): each template's own examples from its
record, else the parameter's default, else an invented value its constraint accepts. Invented values
hold a placeholder that `make deploy` refuses, so nobody deploys them unedited."""

from ..deploy import rules
from ..deploy.preflight import violation
from ..parts.common import BuildError
from ..stacks.record import Record

# Invented identifiers the example parameter files use where a value is yours to give; `make
# deploy` refuses a parameter file that still holds one. 111122223333 stands for the collector,
# 444455556666 and 777788889999 for source accounts (the AWS documentation's example ids).
PLACEHOLDERS = (
    "111122223333",
    "444455556666",
    "777788889999",
    "example.com",
    "o-a1b2c3d4e5",
    "ou-ab12-",
    "1234abcd-12ab-34cd-56ef-1234567890ab",
)
# Example values that are real choices, valid as they stand (every other example holds a placeholder).
USABLE = ("us-east-1", "cron(0 4 ? * SUN *)", "Production", "inventory", "none")
# A parameter that its record gives no example and has no default takes the first of these its
# constraint accepts, else its first allowed value, else its minimum.
CANDIDATES = [
    "111122223333",
    "o-a1b2c3d4e5",
    "ou-ab12-cd34ef56",
    "us-east-1",
    "patching@example.com",
    "patch-inventory-111122223333",
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:quicksight:us-east-1:111122223333:user/default/patch-admin",
    "cron(0 4 ? * SUN *)",
    "Production",
    "inventory",
    "arn:aws:events:us-east-1:111122223333:event-bus/patch-alerts",
]


def grouped_parameters(template: dict) -> list[tuple[str, list[str]]]:
    """(console group label, parameter names) in the order the console shows them."""
    interface = template.get("Metadata", {}).get("AWS::CloudFormation::Interface", {})
    groups = [(g["Label"]["default"], list(g["Parameters"])) for g in interface.get("ParameterGroups", [])]
    grouped = {name for _, names in groups for name in names}
    rest = [name for name in template.get("Parameters", {}) if name not in grouped]
    return groups + ([("Other parameters", rest)] if rest else [])


def text(value) -> str:
    """A parameter value as CloudFormation shows it (true, not True)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def example_value(name: str, definition: dict, examples=None) -> str:
    """The template's own example (`examples`, from its record), else the default, the first allowed
    value, the minimum, or the first candidate the constraint accepts."""
    if examples and name in examples:
        return examples[name]
    if "Default" in definition:
        return text(definition["Default"])
    if "AllowedValues" in definition:
        return text(definition["AllowedValues"][0])
    if definition["Type"] == "Number" and "MinValue" in definition:
        return text(definition["MinValue"])
    for candidate in CANDIDATES:
        if violation(definition, candidate) is None:
            return candidate
    raise BuildError(f"no example value for {name}: add one to its record's examples, or to CANDIDATES in {__name__}")


def example_parameters(record: Record, template: dict) -> list[dict]:
    """The create-stack parameter list, every parameter in console order, each value checked
    against its constraint and the template's Rules."""
    definitions = template.get("Parameters", {})
    values = {
        name: example_value(name, definitions[name], record.examples)
        for _, names in grouped_parameters(template)
        for name in names
    }
    problems = [
        f"{name}={value!r}: {why}" for name, value in values.items() if (why := violation(definitions[name], value))
    ]
    try:
        problems += rules.failures(template, values)
    except ValueError as error:
        raise BuildError(f"cannot check the Rules of {record.file} against its example parameters: {error}") from None
    if problems:
        raise BuildError(f"example parameters of {record.file} are refused: " + "; ".join(problems))
    return [{"ParameterKey": name, "ParameterValue": value} for name, value in values.items()]
