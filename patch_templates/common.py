"""Small pieces shared by the stacks."""

from troposphere import Export, Output, Sub, Template


class BuildError(Exception):
    """A problem that stops the build; the message says what and where."""


def checkov_skip(**reasons: str) -> dict:
    """Resource Metadata that suppresses checkov checks on this one resource, each with its reason."""
    return {"checkov": {"skip": [{"id": check, "comment": reason} for check, reason in sorted(reasons.items())]}}


def add_exported_outputs(template: Template, outputs: list[tuple[str, str, object]]) -> None:
    """(name, description, value) outputs, each exported as <stack name>-<name> for other stacks."""
    for name, description, value in outputs:
        template.add_output(Output(name, Description=description, Value=value,
                                   Export=Export(Sub("${AWS::StackName}-" + name))))
