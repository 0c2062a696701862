"""cfcookies.cookies: reading the Cookie header."""

from __future__ import annotations

import pytest

from cfcookies.cookies import cookie_value, cookie_values


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(None, [], id="no-header"),
        pytest.param("", [], id="empty"),
        pytest.param("a=1", [], id="other-cookie"),
        pytest.param("s=1", ["1"], id="one"),
        pytest.param("s=tossed; a=2; s=real", ["tossed", "real"], id="two-in-order"),
        pytest.param('s="quoted"; s=x', ["quoted", "x"], id="quotes-removed"),
        pytest.param(b"s=bytes", ["bytes"], id="bytes-header"),
        pytest.param("ss=1; s =2", ["2"], id="names-compared-whole"),
        pytest.param("s=1; pad=" + "x" * 40_000, [], id="over-the-header-limit"),
    ],
)
def test_cookie_values_lists_every_value_of_a_name_in_order(
    header: str | bytes | None, expected: list[str]
) -> None:
    """Every value sent under a name comes back in the order sent; cookie_value is the first."""
    assert cookie_values(header, "s") == expected
    assert cookie_value(header, "s") == (expected[0] if expected else None)
