"""Shared test helpers: the built templates as dicts, rendering with parameter values, and
running good and bad values through a parameter's constraint."""

import functools
import json

from cloud_radar.cf.unit import Template as RadarTemplate

from patch_templates import parameters
from patch_templates.stacks import TEMPLATES


@functools.cache
def template_dict(name: str) -> dict:
    """The template as CloudFormation JSON data (what the YAML in output/ says)."""
    return json.loads(TEMPLATES[name]().to_json())


def render(name: str, params: dict, region: str = "us-east-1") -> dict:
    """The template as a stack would get it with these parameter values: conditions, Ref, Sub,
    Join, Split and If resolved offline by cloud-radar, skipped resources removed."""
    return RadarTemplate(json.loads(json.dumps(template_dict(name)))).render(params, region=region)


def check_constraint(name: str, parameter: str, good: list[str], bad: list[str]) -> int:
    """Assert each good value passes and each bad value is refused; returns the bad values tried."""
    definition = template_dict(name)["Parameters"][parameter]
    for value in good:
        assert parameters.violation(definition, value) is None, (parameter, value)
    for value in bad:
        assert parameters.violation(definition, value) is not None, (parameter, value)
    return len(bad)


def rules_refusing(name: str, params: dict, region: str = "us-east-1") -> list[str]:
    """The template Rules whose assertions fail for these parameter values: what CloudFormation
    would refuse before creating anything. Evaluates the rule-specific intrinsic functions."""
    template = template_dict(name)
    values = {key: str(params.get(key, definition.get("Default", "")))
              for key, definition in template["Parameters"].items()}
    for key, definition in template["Parameters"].items():
        if definition["Type"] == "CommaDelimitedList":
            values[key] = values[key].split(",")
    values["AWS::Region"] = region

    def evaluate(node):
        if not isinstance(node, dict):
            return [evaluate(n) for n in node] if isinstance(node, list) else node
        [(function, argument)] = node.items()
        args = evaluate(argument)
        return {
            "Ref": lambda: values[args],
            "Fn::Equals": lambda: str(args[0]) == str(args[1]),
            "Fn::Not": lambda: not args[0],
            "Fn::And": lambda: all(args),
            "Fn::Or": lambda: any(args),
            "Fn::Contains": lambda: args[1] in args[0],
            "Fn::EachMemberEquals": lambda: all(member == args[1] for member in args[0]),
            "Fn::EachMemberIn": lambda: all(member in args[1] for member in args[0]),
        }[function]()

    return sorted(rule_name for rule_name, rule in template.get("Rules", {}).items()
                  if evaluate(rule.get("RuleCondition", True))
                  and not all(evaluate(a["Assert"]) for a in rule["Assertions"]))
