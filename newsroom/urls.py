from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from articles.throttling import ThrottledLoginView


class FaviconView(RedirectView):
    """Browsers (and the admin, whose pages name no icon) ask for /favicon.ico: send them to our SVG icon.
    Resolved per request, so the static file's hashed name is read from the manifest only once it exists."""

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("articles/favicon.svg")


urlpatterns = [
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("articles.public_urls")),
    path("", include("articles.urls")),
]
