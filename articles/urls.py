from django.urls import path

from . import rule_views, views

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
    path("rules/", rule_views.rule_list, name="rules"),
    path("rules/new/", rule_views.rule_new, name="rule_new"),
    path("rules/<int:pk>/", rule_views.rule_detail, name="rule"),
    path("rules/<int:pk>/enable/", rule_views.rule_enable, name="rule_enable"),
    path("rules/<int:pk>/move/", rule_views.rule_move, name="rule_move"),
    path("rules/<int:pk>/delete/", rule_views.rule_delete, name="rule_delete"),
    path("rules/<int:pk>/apply/", rule_views.rule_apply, name="rule_apply"),
    path("rules/<int:pk>/undo/", rule_views.rule_undo, name="rule_undo"),
]
