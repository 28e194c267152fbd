"""The one map (一张图): the jurisdiction and the live orders on one page."""
