"""The engine's documents (matchmaker.matching.Document) of needs and offerings, and which items are
proposed at all: only open needs and published offerings.
"""

from matchmaker.markdown import markdown_to_text
from matchmaker.matching import Document
from matchmaker.models import (
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
)
from matchmaker.models.catalogue import owner_suspended


def _need_key(need_id: int) -> str:
    return f"need:{need_id:010d}"


def _offering_key(offering_id: int) -> str:
    return f"offering:{offering_id:010d}"


def _theme_label(theme_id: int) -> str:
    return f"theme-{theme_id}"


def _theme_id(label: str) -> int | None:
    prefix, _sep, number = str(label).partition("-")
    return int(number) if prefix == "theme" and number.isdigit() else None


def need_document(need: Need) -> Document:
    description = "\n\n".join(
        text for text in (markdown_to_text(need.challenge), markdown_to_text(need.expected_outcome)) if text
    )
    return Document(
        id=_need_key(need.id),
        title=need.title or "",
        summary=need.summary or "",
        description=description,
        keywords=tuple(need.keyword_list),
        language=need.language,
        cpv=tuple(need.cpv_codes),
        themes=tuple(_theme_label(theme.id) for theme in need.themes),
    )


def offering_document(offering: Offering) -> Document:
    return Document(
        id=_offering_key(offering.id),
        title=offering.title or "",
        summary=offering.summary or "",
        description=markdown_to_text(offering.description),
        keywords=tuple(offering.keyword_list),
        language=offering.language,
        cpv=tuple(offering.cpv_codes),
        themes=tuple(_theme_label(theme.id) for theme in offering.themes),
    )


def is_proposable(item: Need | Offering) -> bool:
    """Only open needs and published offerings are proposed, of organisations that are not suspended."""
    if owner_suspended(item):
        return False
    if isinstance(item, Need):
        return item.status == NeedStatus.OPEN
    return item.status == OfferingStatus.PUBLISHED
