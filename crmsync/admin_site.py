"""The admin site of crmsync: Django's own, with its index arranged by
`crmsync.navigation.SECTIONS` rather than by Django app."""

from django.contrib import admin

from .navigation import SECTIONS


class CrmsyncAdminSite(admin.AdminSite):
    site_header = "crmsync"
    site_title = "crmsync console"
    index_title = "Administration"

    def index(self, request, extra_context=None):
        # These import models: not at module load, the site is built before apps are ready.
        from . import dashboard, guide

        context = {**dashboard.context(request.user), **guide.context(request.user), **(extra_context or {})}
        return super().index(request, context)

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        if app_label is not None:
            return app_list
        return arrange(app_list)


def arrange(app_list: list[dict]) -> list[dict]:
    """Regroup Django's per-app list into the navigation sections; models not named
    in a section keep their app's own group, after the sections."""
    models = {f"{app['app_label']}.{m['object_name'].lower()}": (app, m) for app in app_list for m in app["models"]}
    placed: set[str] = set()
    sections = []
    for title, label, keys in SECTIONS:
        section_models = [models[key][1] for key in keys if key in models]
        placed.update(key for key in keys if key in models)
        if section_models:
            first_app = models[next(key for key in keys if key in models)][0]
            sections.append(
                {
                    "name": title,
                    "app_label": label,
                    "app_url": first_app["app_url"],
                    "has_module_perms": True,
                    "models": section_models,
                }
            )
    for app in app_list:
        rest = [m for m in app["models"] if f"{app['app_label']}.{m['object_name'].lower()}" not in placed]
        if rest:
            sections.append({**app, "models": rest})
    return sections
