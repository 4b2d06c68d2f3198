"""CloudFormation for centralized, multi-account patch management with AWS Systems Manager."""
