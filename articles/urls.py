from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("articles/<int:pk>/", views.review, name="review"),
]
