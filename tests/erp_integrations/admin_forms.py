"""What a site admin posts on an ERP connection's change page in Django admin."""

from __future__ import annotations

from django.forms.models import model_to_dict

from erp_integrations.models import ErpConnection


def connection_change_data(connection: ErpConnection, **changes) -> dict:
    """The connection's fields as the change form shows them, with `changes` on top: a
    checked box posts "on", an unchecked one posts nothing. Read from the model, so a
    field added to the connection is posted as it stands without touching the tests."""
    fields = {**model_to_dict(connection), **changes}
    data = {}
    for name, value in fields.items():
        if value is True:
            data[name] = "on"
        elif value is not None and value is not False:
            data[name] = value
    return data
