"""The progress bar is drawn only where someone watches it."""

from __future__ import annotations

from io import StringIO

import pytest

from ioncli.render.progress import progress_bar


def test_off_the_terminal_it_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("work", 3) as advance:
        for _ in range(3):
            advance()
    assert capsys.readouterr() == ("", "")


def test_on_a_terminal_it_counts_to_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    import ioncli.render

    screen = StringIO()
    terminal = Console(file=screen, force_terminal=True, width=80)
    monkeypatch.setattr(ioncli.render, "make_console", lambda **_: terminal)
    with progress_bar("pulling series", 2, show=True) as advance:
        advance()
        advance()
    drawn = screen.getvalue()
    assert "pulling series" in drawn
    assert "2/2" in drawn
