"""The intermediate representation: elaboration (AST -> validated `nodes.Graph`), its checks, and the
factory-parameter analysis. `nodes.py` is the contract every other part reads."""
