"""The language server (`offer lsp`): the compiler's diagnostics, fixes, formatter and
explanations where offers are typed.

    analysis.py   what the editor asks, answered from text (no pygls): completion, hover,
                  symbols, $parameter occurrences, positions in the client's encoding
    keywords.py   one-line docs of every keyword and value word (hover, completion details)
    stores.py     the seam to the store: the catalog and policy checks of the project config,
                  and product paths after `item`
    server.py     pygls wiring: document sync, debounced diagnostics, the LSP features

Only server.py imports pygls and lsprotocol (the `lsp` extra); everything else is plain
Python over the library, so it is tested and benchmarked without a client.
"""
