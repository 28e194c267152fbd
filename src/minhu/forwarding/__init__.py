"""Orders other systems forward (来件系统): the city's 12345 platform, the leader's mailbox, a district's grid
platform. Each system has its own API key; what it sends goes through the same intake as every other door, keeps
the sender's own id (unique per system, so a second delivery returns the first order), and the order's later
changes go back to it through a webhook subscription bound to that system."""
