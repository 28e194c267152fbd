"""Early warning (未诉先办): a community's requests of one kind breaking out of their baseline, told to the street."""
