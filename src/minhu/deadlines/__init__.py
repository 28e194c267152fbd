"""Time limits: the working-day calendar, the time-limit policy and the deadlines of each order."""
