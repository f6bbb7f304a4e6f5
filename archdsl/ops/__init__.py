"""The op registry: each op is one entry with its shape rule, MACs and torch constructor."""
