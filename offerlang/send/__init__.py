"""Talking to FastSpring: the Sessions v1 client (`client.py`) and the local receipts (`receipts.py`).

Nothing here is imported by `offer --help`; httpx itself is imported only when a client is made.
"""
