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


def failed_rules(name: str, params: dict) -> list[str]:
    """Names of the template Rules whose assertions fail for these parameter values (defaults for
    the rest), as the console checks them before creating anything. cloud-radar does not evaluate
    Rules; this covers the rule functions the templates use: Ref, Fn::Equals, Fn::Not, Fn::And,
    Fn::Or and Fn::Contains."""
    template = template_dict(name)
    definitions = template["Parameters"]
    values = {key: str(params.get(key, definition.get("Default", ""))) for key, definition in definitions.items()}

    def evaluate(node):
        if isinstance(node, list):
            return [evaluate(item) for item in node]
        if not isinstance(node, dict):
            return str(node)
        (function, argument), = node.items()
        if function == "Ref":
            value = values[argument]
            return value.split(",") if definitions[argument]["Type"] == "CommaDelimitedList" else value
        operations = {
            "Fn::Equals": lambda a: evaluate(a[0]) == evaluate(a[1]),
            "Fn::Not": lambda a: not evaluate(a[0]),
            "Fn::And": lambda a: all(evaluate(item) for item in a),
            "Fn::Or": lambda a: any(evaluate(item) for item in a),
            "Fn::Contains": lambda a: evaluate(a[1]) in evaluate(a[0]),
        }
        return operations[function](argument)

    return [rule_name for rule_name, rule in template.get("Rules", {}).items()
            if "RuleCondition" not in rule or evaluate(rule["RuleCondition"])
            for assertion in rule["Assertions"] if not evaluate(assertion["Assert"])]
