"""QR codes of check-in codes (issue 16), made with segno (pure Python, BSD licence): no external service
sees who comes to an event.

What a QR code holds: the participant's short check-in code only (six letters and digits, e.g. "K7QRDX"),
not a URL. The organizer's check-in page scans it and looks the code up in its own event, so:
- a code read by any other phone camera or app shows six characters, leads nowhere and says nothing about the
  person or the event (a badge left behind, photographed or posted online gives nothing away);
- the same short code is printed beside the QR code, so a code that does not scan is typed instead;
- a six-character code is the smallest QR symbol (version 1, 21×21 modules), with error correction level Q at
  least (segno raises it to H, 30%, when the symbol stays as small), which scans from a creased badge or a dim
  phone screen.

A leaf module: the agenda page, the agenda PDF and the badges import it; it imports nothing of the app.
"""

from functools import lru_cache

import segno

ERROR_LEVEL = "q"
QUIET_ZONE = 4  # modules of white around the symbol, as the QR standard asks


def make(code: str) -> segno.QRCode:
    return segno.make_qr(code, error=ERROR_LEVEL, boost_error=True)


@lru_cache(maxsize=2048)
def svg_data_uri(code: str, scale: int = 6) -> str:
    """A data: URI of the code's QR symbol as SVG, for an <img> (the Content-Security-Policy allows data:
    images, not inline styles).

    Kept per code (at most 2,048 of them, about 3 KB each): making the symbol tries eight masks, 2-3 ms of
    CPU, a tenth of the agenda page, which participants open again and again on the event day. The symbol
    depends on the code alone, so a kept one is right for whoever has that code; a new code is a new key."""
    return make(code).svg_data_uri(scale=scale, border=QUIET_ZONE, dark="#000", light="#fff")


def modules(code: str) -> list[list[bool]]:
    """The symbol's dark modules, row by row, without the quiet zone (for drawing it in a PDF)."""
    return [[bool(cell) for cell in row] for row in make(code).matrix]


def draw_on_canvas(canvas, code: str, x: float, y: float, size: float) -> None:
    """Draw the QR symbol of `code` on a reportlab canvas, its quiet zone included, in a square of `size`
    points whose lower left corner is (x, y)."""
    rows = modules(code)
    count = len(rows) + 2 * QUIET_ZONE
    module = size / count
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        top = y + size - (QUIET_ZONE + r) * module
        c = 0
        while c < len(row):  # one rectangle per run of dark modules: smaller files, no hairline gaps
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            canvas.rect(
                x + (QUIET_ZONE + start) * module,
                top - module,
                (c - start) * module,
                module,
                stroke=0,
                fill=1,
            )
    canvas.restoreState()


def flowable(code: str, size: float):
    """A platypus flowable of the code's QR symbol, `size` points square."""
    from reportlab.platypus import Flowable

    class QRCodeFlowable(Flowable):
        def wrap(self, available_width, available_height):
            self.width = self.height = size
            return size, size

        def draw(self):
            draw_on_canvas(self.canv, code, 0, 0, size)

    return QRCodeFlowable()
