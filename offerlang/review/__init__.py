"""Review: what an offer means to a buyer (timeline), said as explain and diff documents."""
