"""Citizens' personal data over time: anonymised after the retention period, exported or erased on request."""
