"""Campaigns: one offer sent to many buyers, at the store's pace, never twice by accident."""
