"""The compiler, one module per stage: source → parser (grammar/) → nodes → checks → emit → schema.

Diagnostics (`diagnostics.py`) and their renderers (`render.py`) serve every stage; `pipeline.py`
wires the stages together and is the library API that `offerlang/__init__.py` re-exports.
Nothing here imports from the tools built on the compiler (review, authoring, send, campaign, cli).
"""
