"""`{% term "Subcontract" %}`: a word in the point of view of the company in view.

The company is the template context's `company` (or the company of its `project`);
without one the General Contractor words are used.
"""

from __future__ import annotations

from django import template

from projects.terms import PointOfView, translate

register = template.Library()


@register.simple_tag(takes_context=True)
def term(context: template.Context, word: str) -> str:
    company = context.get("company")
    if company is None and context.get("project") is not None:
        company = context["project"].company
    point_of_view = company.point_of_view if company else PointOfView.GENERAL_CONTRACTOR
    return translate(word, point_of_view)
