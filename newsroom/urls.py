from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from articles.throttling import ThrottledLoginView

urlpatterns = [
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("articles.public_urls")),
    path("", include("articles.urls")),
]
