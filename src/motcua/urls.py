from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _

from motcua.backoffice.security_views import admin_login

admin.site.site_header = _("Quản trị motcua")
admin.site.site_title = _("Quản trị motcua")
admin.site.index_title = _("Cấu hình Trung tâm")

urlpatterns: list[URLPattern | URLResolver] = [
    # The admin signs in on the back office's page, where the lockout and the second factor apply.
    path("admin/login/", admin_login),
    path("", include("motcua.core.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("motcua.api.urls")),
    path("backoffice/", include("motcua.backoffice.urls")),
    path("", include("motcua.portal.urls")),
]
# Documents are never served from MEDIA_URL, not even with DEBUG: only through the views that
# check who may open them.
