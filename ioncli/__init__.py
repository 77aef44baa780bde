"""ion: the operations CLI for the ION Mentoring service on Cloud Run."""

__version__ = "0.1.0"

__all__ = ["__version__"]
