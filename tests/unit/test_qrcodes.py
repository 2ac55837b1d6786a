"""The QR symbols of check-in codes are kept per code (matchmaker/qrcodes.py): each code always gets its own
symbol, whatever was asked before."""

from matchmaker import qrcodes


def _fresh(code: str) -> str:
    return qrcodes.make(code).svg_data_uri(scale=6, border=qrcodes.QUIET_ZONE, dark="#000", light="#fff")


def test_each_code_gets_its_own_symbol_whatever_was_asked_before():
    qrcodes.svg_data_uri.cache_clear()
    codes = ["K7QRDX", "A2B3C4", "K7QRDX", "ZZ9WXY", "A2B3C4"]
    made = [qrcodes.svg_data_uri(code) for code in codes]
    assert made == [_fresh(code) for code in codes]
    assert len(set(made)) == 3
    assert qrcodes.svg_data_uri.cache_info().hits == 2  # the symbol is made once per code


def test_another_scale_is_another_symbol():
    qrcodes.svg_data_uri.cache_clear()
    assert qrcodes.svg_data_uri("K7QRDX", scale=3) != qrcodes.svg_data_uri("K7QRDX")
