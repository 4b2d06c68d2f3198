"""Small pieces shared by the stacks."""

import functools

import cfn_flip
from cfn_flip import yaml_dumper
from troposphere import Export, Output, Sub, Template

# cfn-flip folds long strings at a width read from the environment (CFN_MAX_COL_WIDTH); fix it
# so the output does not depend on the machine.
YAML_WIDTH = 200


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


def render(template: Template) -> str:
    """Deterministic YAML for a troposphere Template (sorted keys, fixed line width): the text
    written to output/ and embedded in the StackSet."""
    return _yaml(template.to_json())


@functools.cache  # keyed by content: the StackSet embeds members the build has already rendered
def _yaml(template_json: str) -> str:
    cfn_flip.config.max_col_width = YAML_WIDTH
    yaml_dumper.STR_MAX_LENGTH_QUOTED = YAML_WIDTH
    return cfn_flip.to_yaml(template_json)
