"""What minhu tells other systems: the events webhook subscribers receive, and the page that manages them."""
