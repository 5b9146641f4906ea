"""The company's point-of-view dictionary: the words each kind of company uses.

A term is translated wherever a page shows it. "Commitments" keeps its name in every
point of view, so it is not in the dictionary.
"""

from __future__ import annotations

from django.db import models


class PointOfView(models.TextChoices):
    GENERAL_CONTRACTOR = "general_contractor", "General Contractor"
    OWNER = "owner", "Owner"
    SPECIALTY_CONTRACTOR = "specialty_contractor", "Specialty Contractor"


# term (as a General Contractor says it) -> (Owner, Specialty Contractor)
_DICTIONARY: dict[str, tuple[str, str]] = {
    "Invoicing": ("Invoicing", "Progress Billings"),
    "Prime Contracts": ("Funding", "Client Contracts"),
    "Subcontract": ("Contract", "Subcontract"),
    "Subcontractor": ("Contractor", "Subcontractor"),
    "SSOV": ("CSOV", "SSOV"),
}


def translate(term: str, point_of_view: str) -> str:
    """Return `term` as a company with `point_of_view` says it; unknown terms pass through."""
    if point_of_view == PointOfView.OWNER:
        return _DICTIONARY.get(term, (term, term))[0]
    if point_of_view == PointOfView.SPECIALTY_CONTRACTOR:
        return _DICTIONARY.get(term, (term, term))[1]
    return term
