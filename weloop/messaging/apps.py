from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "weloop.messaging"
    label = "messaging"
    verbose_name = "Service-account messaging"
