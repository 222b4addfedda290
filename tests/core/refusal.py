"""The check every refusal test makes: the error, its code, and nothing written."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from billflow_core.errors import BillflowError
from billflow_sandbox import Sandbox


def assert_refused(
    sandbox: Sandbox, error: type[BillflowError], code: str, call: Callable[[], object]
) -> None:
    before = sandbox.fingerprint()
    writes = len(sandbox.writes())
    with pytest.raises(error) as refused:
        call()
    assert refused.value.code == code
    assert sandbox.fingerprint() == before
    assert len(sandbox.writes()) == writes
