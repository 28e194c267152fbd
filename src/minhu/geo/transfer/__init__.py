"""Import and export of the jurisdiction (docs/map-format.md), one module per format.

- ``mapfile``: what every format is read into (``MapFile``) and ``MapImportError``, which names every problem.
- ``geojson``: the GeoJSON FeatureCollection — ``read_map`` (GeoJSON, or CSV by the file's suffix),
  ``parse_map``, ``export_map``.
- ``wkt_csv``: the same map as CSV with WKT geometries, to and from GeoJSON.
- ``people``: the people on duty as CSV — parse, write, export.
- ``write``: a parsed map checked against the unit tree (``check_map``) and written into it (``write_map``).
"""
