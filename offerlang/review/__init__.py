"""Review: what an offer means to a buyer (timeline), said as explain and diff documents
(document.py renders them); revisions.py finds the offers that changed since a git revision."""
