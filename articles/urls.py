from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("articles/", views.queue, name="queue"),
    path("articles/bulk/", views.bulk, name="bulk"),
    path("articles/undo/", views.undo, name="undo"),
    path("articles/<int:pk>/", views.review, name="review"),
    path("articles/<int:pk>/edit/", views.edit, name="edit"),
    path("articles/<int:pk>/scores/", views.scores, name="scores"),
    path("articles/<int:pk>/publish/", views.change_status, {"action": "publish"}, name="publish"),
    path("articles/<int:pk>/unpublish/", views.change_status, {"action": "unpublish"}, name="unpublish"),
    path("articles/<int:pk>/reject/", views.change_status, {"action": "reject"}, name="reject"),
    path("articles/<int:pk>/story/publish/", views.decide_story, {"action": "publish"}, name="story-publish"),
    path("articles/<int:pk>/story/reject/", views.decide_story, {"action": "reject"}, name="story-reject"),
    path("articles/<int:pk>/story/leave/", views.take_out_of_story, name="story-leave"),
    path("articles/<int:pk>/story/join/", views.join_stories, name="story-join"),
]
