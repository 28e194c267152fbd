"""Limits on guessing and flooding, counted in the database every server process shares."""
