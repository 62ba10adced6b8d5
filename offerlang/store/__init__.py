"""The store: a catalog snapshot (catalog.py, pull.py), the project config (config.py, with a
TOML locator in tomlpos.py), the policy (policy.py, waivers.py) and the store-aware checks
(checks.py), which run after the language's own as an extra check family (context.py).

Built on the compiler; the compiler never imports it.
"""
