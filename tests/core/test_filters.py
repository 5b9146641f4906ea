"""The filter sets' form writes its selects' options in place, with Django's markup."""

from __future__ import annotations

import re

import pytest
from django import forms

from core.filters import INLINE_OPTIONS_SELECT, FilterForm

CHOICES = [("", "Any"), ("1", "Keystone & Sons <Concrete>"), ("2", "Apex Steel")]
GROUPED = [("", "Any"), ("Open", [("a", "Draft"), ("b", "Approved")]), ("Closed", [("c", "Void")])]


def build(base, field, selected):
    form_class = type("Form", (base,), {"choice": field})
    return form_class(initial={"choice": [selected]})


def markup(form):
    # Django's template puts each included option on its own line; compare the tags.
    return re.sub(r">\s+<", "><", str(form["choice"])).strip()


@pytest.mark.parametrize(("choices", "selected"), [(CHOICES, "1"), (GROUPED, "b")])
@pytest.mark.parametrize("field_class", [forms.ChoiceField, forms.MultipleChoiceField])
def test_selects_render_as_django_renders_them(choices, selected, field_class):
    ours = build(FilterForm, field_class(choices=choices, required=False), selected)
    django = build(forms.Form, field_class(choices=choices, required=False), selected)

    assert ours.fields["choice"].widget.template_name == INLINE_OPTIONS_SELECT
    assert markup(ours) == markup(django)
    assert " selected" in markup(ours)


def test_other_widgets_keep_their_templates():
    form_class = type("Form", (FilterForm,), {"q": forms.CharField(required=False)})

    assert form_class().fields["q"].widget.template_name == "django/forms/widgets/text.html"
