"""Evaluate a template's `Rules` offline, as CloudFormation does before it creates anything.

cloud-radar checks parameter constraints but not Rules, so the example parameter files are
checked against both here. Covers the rule functions of the CloudFormation user guide
("Rules" section): Fn::And, Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn, Fn::Equals,
Fn::Not, Fn::Or and Ref; the AWS-specific Fn::RefAll / Fn::ValueOf / Fn::ValueOfAll need an
account and are refused.
"""

LIST_TYPES = ("CommaDelimitedList", "List<")
PSEUDO = {"AWS::AccountId": "111122223333", "AWS::Region": "us-east-1", "AWS::Partition": "aws"}


def _value(template: dict, values: dict[str, str], name: str):
    """A parameter's value, or a pseudo parameter's (values may override the PSEUDO defaults)."""
    if name not in template["Parameters"]:
        return values.get(name, PSEUDO[name])
    value = values[name]
    # An empty CommaDelimitedList is a list of one empty string, as in CloudFormation.
    return value.split(",") if template["Parameters"][name]["Type"].startswith(LIST_TYPES) else value


def evaluate(expression, template: dict, values: dict[str, str]):
    """The value of a rule expression with these parameter values."""
    if isinstance(expression, list):
        return [evaluate(item, template, values) for item in expression]
    if not isinstance(expression, dict):
        return expression
    if len(expression) != 1:
        raise ValueError(f"not a rule function: {expression}")
    ((function, argument),) = expression.items()
    if function == "Ref":
        return _value(template, values, argument)
    args = evaluate(argument, template, values)
    functions = {
        "Fn::And": lambda: all(args),
        "Fn::Or": lambda: any(args),
        "Fn::Not": lambda: not args[0],
        "Fn::Equals": lambda: args[0] == args[1],
        "Fn::Contains": lambda: args[1] in args[0],
        "Fn::EachMemberEquals": lambda: all(item == args[1] for item in args[0]),
        "Fn::EachMemberIn": lambda: all(item in args[1] for item in args[0]),
    }
    if function not in functions:
        raise ValueError(f"{function} cannot be evaluated offline")
    return functions[function]()


def failures(template: dict, values: dict[str, str]) -> list[str]:
    """'Rule: AssertDescription' for every assertion these parameter values break."""
    broken = []
    for name, rule in template.get("Rules", {}).items():
        if "RuleCondition" in rule and not evaluate(rule["RuleCondition"], template, values):
            continue
        for assertion in rule["Assertions"]:
            if not evaluate(assertion["Assert"], template, values):
                broken.append(f"{name}: {assertion.get('AssertDescription', 'assertion failed')}")
    return broken
