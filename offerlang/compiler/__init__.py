"""The compiler, one module per stage: source → parser (grammar/) → nodes → checks → emit → schema.

Diagnostics (`diagnostics.py`) and their output for people and tools (`diagnostic_output.py`)
serve every stage; `params.py` binds campaign values; `pipeline.py` wires the stages together and
is the library API that `offerlang/__init__.py` re-exports. Nothing here imports from the tools
built on the compiler (review, authoring, send, campaign, store, cli, lsp): tests/test_layers.py.
"""
