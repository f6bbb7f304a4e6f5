"""Static and measured figures about a network that are neither compiling nor drawing it: per-module
rows of the IR (`module_rows`) and CPU latency of a built model (`latency`, imports torch)."""
