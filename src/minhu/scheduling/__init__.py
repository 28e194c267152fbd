"""Leaders' scheduling (调度): the weekly meeting, its instructions (批示) and the leader's week."""
