"""Authoring: tools that write offer source (the formatter and the JSON importer)."""
