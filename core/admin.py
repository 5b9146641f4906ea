"""Admin mixins and helpers every app's admin shares. Nothing is registered here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.http import HttpResponseRedirect
from guardian.admin import AdminGroupObjectPermissionsForm, GuardedModelAdmin

from core.errors import ActionRefused

REFUSED = "{reason} Nothing was changed."

# The mixins' bases: to the type checker they extend ModelAdmin (GuardedModelAdmin for
# the object grants), whose methods they call through super(); at run time they are plain
# mixins, placed before ModelAdmin in an admin's bases.
if TYPE_CHECKING:
    ModelAdminMixin = admin.ModelAdmin[Any]
    GuardedModelAdminMixin = GuardedModelAdmin
else:
    ModelAdminMixin = GuardedModelAdminMixin = object


class ViewOnlyMixin(ModelAdminMixin):
    """A record admin may read and never write: it is written by the application (a log,
    a delivery, a history) and changed, where it changes at all, on the pages."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AtomicActionsMixin(ModelAdminMixin):
    """Runs each changelist action in one transaction, so a bulk delete's lock check (in
    get_deleted_objects) and the delete itself see the same locked rows."""

    def response_action(self, request, queryset, *args, **kwargs):
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().response_action(request, queryset, *args, **kwargs)


class ServiceRefusalsMixin(ModelAdminMixin):
    """An admin that saves and deletes through the services: a refusal (a locked invoice,
    bad input the form let through) becomes an error message on the page the POST came
    from. The refused write's transaction has been rolled back, so nothing changed."""

    def changeform_view(self, request, *args, **kwargs):
        return self._answer_refusals(request, super().changeform_view, request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._answer_refusals(request, super().delete_view, request, *args, **kwargs)

    def response_action(self, request, *args, **kwargs):
        return self._answer_refusals(request, super().response_action, request, *args, **kwargs)

    def _answer_refusals(self, request, view, *args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ActionRefused as refusal:
            reasons = [str(refusal)]
        except ValidationError as error:
            reasons = error.messages
        for reason in reasons:
            messages.error(request, REFUSED.format(reason=reason))
        return HttpResponseRedirect(request.get_full_path())


class ObjectGrantsAdminMixin(GuardedModelAdminMixin):
    """Guardian's object permission pages limited to the grants that mean something on
    this model (`object_permission_codenames`): the default add/change/delete/view
    permissions are model-wide and would only clutter the per-object table."""

    object_permission_codenames: tuple[str, ...] = ()

    def get_obj_perms_base_context(self, request, obj):
        context = super().get_obj_perms_base_context(request, obj)
        codenames = self.object_permission_codenames
        context["model_perms"] = sorted(
            (
                permission
                for permission in context["model_perms"]
                if permission.codename in codenames
            ),
            key=lambda permission: codenames.index(permission.codename),
        )
        return context

    def get_obj_perms_manage_group_form(self, request):
        codenames = self.object_permission_codenames

        class GroupGrantsForm(AdminGroupObjectPermissionsForm):
            def get_obj_perms_field_choices(self):
                names = dict(super().get_obj_perms_field_choices())
                return [(codename, names[codename]) for codename in codenames]

        return GroupGrantsForm


def posted_changes(data, instance, names) -> list[str]:
    """The fields among `names` that a POST of the instance's change form would change. A
    field the POST does not carry (it was shown read-only) counts as unchanged."""
    changed = []
    for name in names:
        field = instance._meta.get_field(name)
        stored = field.value_from_object(instance)
        if name in data and field.formfield().has_changed(stored, data[name]):
            changed.append(name)
    return changed
