"""Backend choice: hardened when it works, plain with a warning, refused where untrusted."""

from __future__ import annotations

import pytest

from grader.errors import SandboxError
from grader.runner.bwrap import bwrap_works
from grader.runner.select import choose_backend, require_confined
from grader.settings import get_settings

needs_bwrap = pytest.mark.skipif(bwrap_works() is not None, reason=f"bwrap: {bwrap_works()}")


def test_plain_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    assert choose_backend(get_settings(sandbox="plain")).name == "plain"
    assert capsys.readouterr().err == ""  # asked for: no fallback warning


@needs_bwrap
def test_auto_prefers_the_hardened_backend() -> None:
    assert choose_backend(get_settings(sandbox="auto")).name == "bwrap"


@pytest.mark.parametrize(
    ("allow", "refused"),
    [
        pytest.param(False, True, id="refused-by-default"),  # batch/server must not go plain
        pytest.param(True, False, id="allowed-explicitly"),  # --allow-unconfined
    ],
)
def test_untrusted_grading_refuses_the_plain_backend(allow: bool, refused: bool) -> None:
    settings = get_settings(sandbox="plain", allow_unconfined=allow)
    backend = choose_backend(settings)
    if refused:
        with pytest.raises(SandboxError, match="allow-unconfined"):
            require_confined(backend, settings)
    else:
        require_confined(backend, settings)


@needs_bwrap
def test_hardened_backend_is_always_accepted() -> None:
    settings = get_settings(sandbox="bwrap")
    require_confined(choose_backend(settings), settings)
