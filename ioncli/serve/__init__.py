"""`ion serve`: the mentoring pipeline behind a small, fast, plain ASGI application.

No web framework: a dict router, msgspec for validation and JSON, precomputed responses where
the answer is known. Nothing here builds state at import time; `create_app` does.
"""
