"""What a test run does when the machine lacks something it needs: outside CI it skips and says why; with CI=true
it fails, so a green CI run has run everything."""

from __future__ import annotations

import socket

import pytest

from tests import preflight


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nobody listens there once the socket is closed


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes"])
def test_ci_fails_what_a_desktop_run_skips(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI=true and Chromium is missing"):
        preflight.missing("Chromium is missing")


@pytest.mark.parametrize("value", [None, "", "false", "0"])
def test_outside_ci_a_missing_tool_skips(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception, match="Chromium is missing"):
        preflight.missing("Chromium is missing")


def test_a_postgresql_url_nobody_answers_fails_the_run(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MINHU_TEST_POSTGRES_URL", f"postgresql+psycopg://postgres:secret@127.0.0.1:{_closed_port()}/t")
    for ci in ("true", ""):
        monkeypatch.setenv("CI", ci)
        assert preflight.main() == 1
        said = capsys.readouterr().err
        assert "does not answer" in said
        assert "secret" not in said  # the password is not printed


def test_ci_without_a_postgresql_url_fails_and_a_desktop_run_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MINHU_TEST_POSTGRES_URL", raising=False)
    monkeypatch.setenv("CI", "true")
    assert preflight.main() == 1
    monkeypatch.setenv("CI", "false")
    assert preflight.main() == 0
