"""The organisation: units (a tree from district to grid, with departments beside it) and users."""
