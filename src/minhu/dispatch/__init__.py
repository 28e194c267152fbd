"""The dispatcher's side of routing: commands for the catalog and the classifier, and what people chose."""
