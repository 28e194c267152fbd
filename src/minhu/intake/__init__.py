"""The doors through which requests come in: the operator's console and the resident page."""
