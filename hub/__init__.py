"""The webhook integration hub: receive, normalize, fan out."""

__version__ = "0.1.0"
