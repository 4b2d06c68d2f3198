"""Building blocks of the templates: parameters, policies, shared resources."""
