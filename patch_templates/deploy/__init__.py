"""What runs before a deploy, with the standard library alone: preflight and the Rules evaluator."""
