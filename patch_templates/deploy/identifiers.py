"""Patterns of AWS identifiers (unanchored), shared by the templates' parameter constraints
(parts/parameters.py) and the standard-library checks of deploy/, which cannot import the parts."""

# An AWS Region code, such as us-east-1 or us-gov-west-1.
REGION = r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}"
# Organizational unit and root ids, as the AWS::CloudFormation::StackSet resource schema takes them
# (DeploymentTargets.OrganizationalUnitIds).
ORGANIZATIONAL_UNIT_ID = r"ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}"
ROOT_ID = r"r-[a-z0-9]{4,32}"
