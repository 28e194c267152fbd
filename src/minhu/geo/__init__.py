"""Jurisdiction: the geometry of units, zones of responsibility and their people, locating and geocoding."""
