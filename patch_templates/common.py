"""Small pieces shared by the stacks."""


class BuildError(Exception):
    """A problem that stops the build; the message says what and where."""


def checkov_skip(**reasons: str) -> dict:
    """Resource Metadata that suppresses checkov checks on this one resource, each with its reason."""
    return {"checkov": {"skip": [{"id": check, "comment": reason} for check, reason in sorted(reasons.items())]}}
