"""Evaluation: calling citizens back on replied orders, and what they say."""
