"""Demo event materials (issue 19): the programme and a presentation of the past demo event, public after the
event, and a photo for its participants only. The files are made here (ReportLab and Pillow), so the demo
needs nothing from outside."""

import io

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from matchmaker.models import Event, MaterialAccess, MaterialKind, User
from matchmaker.services import event_materials


def _pdf(title: str, lines: list[str]) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(title)
    pdf.setAuthor("Matchmaker demo")
    pdf.setFont("Helvetica-Bold", 18)
    height = A4[1]
    pdf.drawString(56, height - 80, title)
    pdf.setFont("Helvetica", 12)
    for index, line in enumerate(lines):
        pdf.drawString(56, height - 120 - 20 * index, line)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _photo() -> bytes:
    image = Image.new("RGB", (640, 400), (214, 234, 248))
    draw = ImageDraw.Draw(image)
    for index, x in enumerate(range(60, 600, 90)):
        draw.ellipse((x, 170, x + 50, 220), fill=(40 + 20 * index, 90, 160))
        draw.rectangle((x + 5, 225, x + 45, 330), fill=(40 + 20 * index, 90, 160))
    draw.rectangle((0, 330, 640, 400), fill=(120, 160, 90))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def seed_materials(event: Event, organizer: User) -> int:
    """Attach the demo materials to the event; the number attached."""
    day = event.first_day.strftime("%d/%m/%Y") if event.first_day else ""
    materials = [
        (
            "Programma van de dag",
            MaterialKind.PROGRAMME,
            MaterialAccess.PUBLIC_AFTER,
            "programma-water-meet-and-greet.pdf",
            _pdf(
                f"Programma – {event.title}",
                [
                    day,
                    "09:00  Welkom en pitches van de aankopers",
                    "09:40  Een-op-eengesprekken aan de tafels",
                    "11:00  Koffiepauze",
                    "11:20  Een-op-eengesprekken aan de tafels",
                    "13:00  Einde",
                ],
            ),
        ),
        (
            "Presentatie: innovatief aankopen voor waterbeheer",
            MaterialKind.PRESENTATION,
            MaterialAccess.PUBLIC_AFTER,
            "presentatie-innovatief-aankopen-waterbeheer.pdf",
            _pdf(
                "Innovatief aankopen voor waterbeheer",
                [
                    "Waarom: overstromingen en droogte vragen nieuwe oplossingen.",
                    "Hoe: marktconsultatie, precommerciële aankoop, innovatiepartnerschap.",
                    "Wat nu: de behoeften staan op Matchmaker.",
                ],
            ),
        ),
        (
            "Groepsfoto",
            MaterialKind.PHOTO,
            MaterialAccess.PARTICIPANTS,
            "groepsfoto.png",
            _photo(),
        ),
    ]
    for title, kind, access, filename, data in materials:
        event_materials.attach(
            organizer, event, data, title=title, kind=kind, access=access, filename=filename
        )
    return len(materials)
