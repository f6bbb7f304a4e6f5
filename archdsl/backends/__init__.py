"""Backends: the typed IR -> Python source, a torch module, a diagram, a summary."""
