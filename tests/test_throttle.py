"""The failure throttle: a key locks after too many failures and opens again when the window passes."""

from minhu.core.throttle import FailureThrottle


def test_a_key_locks_after_too_many_failures_and_reopens_after_the_window():
    now = [1000.0]
    throttle = FailureThrottle(max_failures=3, window_seconds=60, now=lambda: now[0])
    for _ in range(3):
        assert throttle.locked_for("WC1") == 0
        throttle.record_failure("WC1")
        now[0] += 1
    assert throttle.locked_for("WC1") == 57  # asked at t=1003; the first failure (t=1000) leaves at t=1060
    assert throttle.locked_for("WC2") == 0  # other keys are not affected
    now[0] = 1060.5
    assert throttle.locked_for("WC1") == 0


def test_success_clears_the_count():
    throttle = FailureThrottle(max_failures=2, window_seconds=60)
    throttle.record_failure("WC1")
    throttle.reset("WC1")
    throttle.record_failure("WC1")
    assert throttle.locked_for("WC1") == 0
