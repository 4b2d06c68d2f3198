"""Small pieces shared by the stacks."""


def checkov_skip(**reasons: str) -> dict:
    """Resource Metadata that suppresses checkov checks on this one resource, each with its reason."""
    return {"checkov": {"skip": [{"id": check, "comment": reason} for check, reason in sorted(reasons.items())]}}
