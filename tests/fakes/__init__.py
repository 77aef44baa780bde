"""Fake servers on 127.0.0.1 that the real Google Cloud clients talk to in tests."""
