import pathlib

import invoice


def test_constant():
    assert invoice.VAT_RATE == 0.21


def test_literal_appears_once():
    source = pathlib.Path(invoice.__file__).read_text()
    assert source.count("0.21") == 1


def test_behaviour_unchanged():
    assert invoice.vat_amount(1000) == 210
    assert invoice.gross(1000) == 1210
    assert invoice.net_from_gross(1210) == 1000
    assert invoice.invoice_lines([("pen", 250)]) == ["pen: 250 + VAT 52"]


def test_every_function_follows_the_constant(monkeypatch):
    monkeypatch.setattr(invoice, "VAT_RATE", 0.10)
    assert invoice.vat_amount(1000) == 100
    assert invoice.gross(1000) == 1100
    assert invoice.net_from_gross(1100) == 1000
    assert invoice.invoice_lines([("pen", 250)]) == ["pen: 250 + VAT 25"]
