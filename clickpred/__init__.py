"""clickpred: rare-event click and conversion prediction from ad impression logs."""

__version__ = "0.1.0"
