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
