"""The spine: the work order (工单), its lifecycle and its append-only trail."""
