"""Supervision: the time-limit policy and calendar as the centre runs them, lights and the sweep."""
