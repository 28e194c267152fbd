"""Open311 GeoReport v2: the civic-issue standard's endpoints, its services (published catalog categories with
their questions), the keys of its clients, and the requests they created."""
