"""API access: an authenticated staff user holding the model's permission for the
action (view for reads, add/change/delete for writes)."""

from rest_framework.permissions import BasePermission, DjangoModelPermissions


class StaffModelPermissions(DjangoModelPermissions):
    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        return super().has_permission(request, view)


class StaffActionPermission(StaffModelPermissions):
    """For a POST action that changes an object (run, test...): the change permission."""

    perms_map = {**StaffModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


def staff_with(read: str, write: str | None = None) -> type[BasePermission]:
    """A permission class for views without a queryset: staff plus `read` for safe
    methods and `write` (default: `read`) for the others."""

    class StaffWith(BasePermission):
        def has_permission(self, request, view):
            user = request.user
            if not (user and user.is_authenticated and user.is_staff):
                return False
            needed = read if request.method in ("GET", "HEAD", "OPTIONS") else (write or read)
            return user.has_perm(needed)

    return StaffWith


ACCOUNT_VIEW = "connectors.view_externalaccount"


def may_use_account(user, account=None) -> bool:
    """Workflows and their runs act with an external account's credentials and show
    what its CRM answered: seeing, editing, running or cancelling them needs the
    right to view that account, besides the workflow's (or run's) own right. Asked
    per model, and per object for an object-level backend when there is one."""
    if not (user and user.is_authenticated):
        return False
    return user.has_perm(ACCOUNT_VIEW) or (account is not None and user.has_perm(ACCOUNT_VIEW, account))


def account_of(obj):
    """The external account a workflow, run or activity works with."""
    for path in ("account", "workflow.account"):
        target = obj
        for name in path.split("."):
            target = getattr(target, name, None)
        if target is not None:
            return target
    return None


class UsesViewableAccount(BasePermission):
    """Alongside the model permission, for workflows and runs (see may_use_account)."""

    message = "You may not view the external account this workflow uses."

    def has_permission(self, request, view):
        return may_use_account(request.user)

    def has_object_permission(self, request, view, obj):
        return may_use_account(request.user, account_of(obj))
