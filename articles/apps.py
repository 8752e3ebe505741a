from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "Newsroom articles"

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from .views import say_logged_out

        user_logged_out.connect(say_logged_out, dispatch_uid="articles.say_logged_out")
